package io.agnes.bqmc.bigquery;

import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryException;
import com.google.cloud.bigquery.Table;
import com.google.cloud.bigquery.TableId;
import io.agnes.bqmc.observe.RefreshMonitor;
import io.agnes.bqmc.refresh.TableRefresh;
import io.agnes.bqmc.registry.BigQueryTarget;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.RuntimeCamelException;
import io.agnes.bqmc.refresh.LogText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.apache.camel.component.google.bigquery.GoogleBigQueryConnectionFactory;

/**
 * One {@code tables.get} per call: the route around it decides whether to call again.
 * A retryable failure is thrown as {@link RetryableBigQueryException} for Camel redelivery;
 * every other outcome is recorded on the exchange's {@link TableRefresh}.
 */
public class TableLookup implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(TableLookup.class);

    private final GoogleBigQueryConnectionFactory connectionFactory;
    private final RefreshMonitor monitor;

    public TableLookup(GoogleBigQueryConnectionFactory connectionFactory, RefreshMonitor monitor) {
        this.connectionFactory = connectionFactory;
        this.monitor = monitor;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        TableRefresh refresh = exchange.getProperty(TableRefresh.PROPERTY, TableRefresh.class);
        BigQueryTarget target = refresh.target();
        BigQuery client;
        try {
            client = connectionFactory.getDefaultClient();
        } catch (BigQueryNotConfiguredException e) {
            refresh.noData(e.getMessage());
            return;
        }
        boolean retry = refresh.attempts() > 0;
        refresh.attemptStarting();
        long started = System.nanoTime();
        String outcome = "error";
        try {
            Table table = client.getTable(TableId.of(target.project(), target.dataset(), target.table()));
            if (table == null) {
                // the client answers a 404 with null rather than an exception
                outcome = "not_found";
                refresh.noData("table " + target + " not found (404)");
            } else {
                outcome = "ok";
                refresh.succeeded(TableMetadataMapper.map(table));
            }
        } catch (BigQueryException e) {
            if (FailureClassifier.isRetryable(e)) {
                outcome = "retryable_error";
                throw new RetryableBigQueryException(e);
            }
            refresh.failed(FailureClassifier.describe(e));
        } finally {
            refresh.attemptEnded();
            monitor.bigQueryRequest(System.nanoTime() - started, outcome, retry);
        }
    }

    /** After the last redelivery: the table keeps its last good numbers and records why. */
    public static void retriesExhausted(Exchange exchange) {
        RetryableBigQueryException e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, RetryableBigQueryException.class);
        TableRefresh refresh = exchange.getProperty(TableRefresh.PROPERTY, TableRefresh.class);
        refresh.failed(FailureClassifier.describe(e.getCause()));
    }

    /** Anything unforeseen (an unmappable answer, a client bug) is this table's error, not the run's. */
    public static void unexpectedFailure(Exchange exchange) {
        Throwable e = unwrap(exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class));
        TableRefresh refresh = exchange.getProperty(TableRefresh.PROPERTY, TableRefresh.class);
        LOG.warn("unexpected failure looking up table_id={}", LogText.safe(refresh.tableId()), e);
        refresh.failed(FailureClassifier.describe(e));
    }

    /** Camel's wrappers say nothing about what went wrong: report what they wrap. */
    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while (t instanceof RuntimeCamelException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
