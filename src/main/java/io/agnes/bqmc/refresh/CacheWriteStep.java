package io.agnes.bqmc.refresh;

import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CompletionException;

import io.agnes.bqmc.cache.CacheEntry;
import io.agnes.bqmc.cache.CacheWriter;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.support.service.ServiceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache write as an asynchronous step of the refresh-table route: it hands the table's
 * entry to the {@link CacheWriter} and releases the lookup thread at once. Its lifecycle is the
 * route's: it starts the writer, and when the route stops (after the run in flight had its
 * grace) it lets the writer commit what is queued, then records every table the run took on and
 * never wrote as interrupted, so the stop leaves a trace and the last good numbers.
 */
public class CacheWriteStep extends AsyncProcessorSupport {

    private static final Logger LOG = LoggerFactory.getLogger("io.agnes.bqmc.refresh");

    private final CacheWriter writer;
    private final PendingTables pending;

    public CacheWriteStep(CacheWriter writer, PendingTables pending) {
        this.writer = writer;
        this.pending = pending;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        TableRefresh refresh = RefreshSteps.table(exchange);
        if (refresh.fencedOff() || !refresh.mayGoOn()) {
            callback.done(true);
            return true;
        }
        // The exchange goes on once the entry is committed, on the writer's thread: the rest of
        // the table's route, and, for the table that completes a split, the tail of the whole
        // run (summary, history row, the API's answer) run there.
        writer.submit(refresh.cacheEntry(), refresh.run().lease().fence()).whenComplete((ok, failure) -> {
            if (failure != null) {
                exchange.setException(failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure);
            }
            callback.done(false);
        });
        return false;
    }

    @Override
    protected void doStart() {
        ServiceHelper.startService(writer);
    }

    @Override
    protected void doStop() {
        ServiceHelper.stopService(writer);
        List<String> unfinished = pending.drain();
        if (unfinished.isEmpty()) {
            return;
        }
        try {
            writer.writeNow(unfinished.stream().map(id -> CacheEntry.failure(id, PendingTables.INTERRUPTED)).toList());
            LOG.warn("stopped during a refresh: {} table(s) recorded as interrupted", unfinished.size());
        } catch (SQLException e) {
            LOG.error("stopped during a refresh: could not record {} unfinished table(s): {}", unfinished.size(),
                    e.getMessage());
        }
    }
}
