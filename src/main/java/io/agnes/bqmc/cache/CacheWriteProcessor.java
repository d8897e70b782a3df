package io.agnes.bqmc.cache;

import java.util.concurrent.CompletionException;

import io.agnes.bqmc.refresh.TableRefresh;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;

/**
 * The cache write as an asynchronous Camel step: it hands the exchange's row to the
 * {@link CacheWriter} and releases the lookup thread at once; the route goes on (on the
 * writer's thread) once the row is committed, or with the write's exception.
 */
public class CacheWriteProcessor extends AsyncProcessorSupport {

    private final CacheWriter writer;

    public CacheWriteProcessor(CacheWriter writer) {
        this.writer = writer;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        TableRefresh refresh = exchange.getProperty(TableRefresh.PROPERTY, TableRefresh.class);
        writer.submit(refresh).whenComplete((ok, failure) -> {
            if (failure != null) {
                exchange.setException(failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure);
            }
            callback.done(false);
        });
        return false;
    }
}
