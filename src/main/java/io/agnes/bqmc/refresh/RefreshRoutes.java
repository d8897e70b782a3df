package io.agnes.bqmc.refresh;

import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.agnes.bqmc.bigquery.FailureClassifier;
import io.agnes.bqmc.bigquery.RetryableBigQueryException;
import io.agnes.bqmc.bigquery.TableLookup;
import io.agnes.bqmc.config.Settings;
import io.agnes.bqmc.observe.RefreshMonitor;
import io.agnes.bqmc.observe.RunHistory;
import io.agnes.bqmc.registry.NotRemoteBigQueryTableException;
import io.agnes.bqmc.registry.RegistryQueries;
import io.agnes.bqmc.registry.RegistryRow;
import io.agnes.bqmc.registry.TargetResolver;
import io.agnes.bqmc.registry.UnknownTableException;
import org.apache.camel.Exchange;
import org.apache.camel.LoggingLevel;
import org.apache.camel.ShutdownRoute;
import org.apache.camel.builder.RouteBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The refresh pipeline. {@code direct:refresh-all} reads the remote BigQuery rows and splits
 * them over the bounded {@code bqRefreshPool}; every row goes through {@code direct:refresh-table}
 * (resolve, one lookup with redelivery, one group-committed cache write). {@code direct:refresh-one} serves the
 * single-table endpoint through the same per-table route.
 */
public class RefreshRoutes extends RouteBuilder {

    private static final Logger LOG = LoggerFactory.getLogger("io.agnes.bqmc.refresh");

    /** Header carrying the registry id for {@code direct:refresh-one}. */
    public static final String TABLE_ID_HEADER = "bqmc_table_id";

    private static final String SUMMARY = "bqmcRunSummary";

    /** Write-write conflicts on one row (a run and a single refresh together) resolve on a retry. */
    private static final int WRITE_REDELIVERIES = 3;

    private final Settings settings;
    private final TargetResolver resolver;
    // beans of AppConfiguration, bound before routes are built: resolved once, not per table
    private PendingTables pending;
    private RefreshMonitor monitor;

    public RefreshRoutes(Settings settings) {
        this.settings = settings;
        this.resolver = new TargetResolver(settings.bigQueryProject());
    }

    @Override
    public void configure() {
        pending = getContext().getRegistry().lookupByNameAndType("pendingTables", PendingTables.class);
        monitor = getContext().getRegistry().lookupByNameAndType("refreshMonitor", RefreshMonitor.class);

        // refresh-all and refresh-one hand every failure back to their caller (timer or API),
        // which decides what it means; an error handler here would mark it exhausted and hide it
        // the refresh routes stop last, after the routes that call them, so a run can finish
        from("direct:refresh-all").routeId("refresh-all").shutdownRoute(ShutdownRoute.Defer)
                .errorHandler(noErrorHandler())
                .routePolicyRef("singleFlightRoutePolicy")
                .setBody(constant(RegistryQueries.SELECT_REMOTE_BIGQUERY))
                .to("jdbc:dataSource?outputType=SelectList")
                .process(this::takeOn)
                .split(body(), new RunTally()).parallelProcessing().executorService("bqRefreshPool")
                    .process(this::startTable)
                    .to("direct:refresh-table")
                .end()
                .process(this::summarize)
                .setBody(constant(RunHistory.RECORD)).to("jdbc:dataSource?useHeadersAsParameters=true")
                .setBody(constant(RunHistory.PRUNE)).to("jdbc:dataSource")
                .process(e -> e.getMessage().setBody(e.getProperty(SUMMARY, RunSummary.class)));

        from("direct:refresh-one").routeId("refresh-one").shutdownRoute(ShutdownRoute.Defer)
                .errorHandler(noErrorHandler())
                .setBody(constant(RegistryQueries.SELECT_BY_ID))
                .to("jdbc:dataSource?useHeadersAsParameters=true&outputType=SelectList")
                .process(this::startSingleTable)
                .to("direct:refresh-table")
                .process(e -> e.getMessage().setBody(refresh(e).result()));

        from("direct:refresh-table").routeId("refresh-table").shutdownRoute(ShutdownRoute.Defer)
                // continued, not handled: a handled exception would also end the caller's route (the split)
                .onException(SQLException.class)
                    .maximumRedeliveries(WRITE_REDELIVERIES).redeliveryDelay(20).retryAttemptedLogLevel(LoggingLevel.DEBUG)
                    .continued(true).logExhausted(false)
                    .process(this::writeFailed)
                .end()
                .process(this::resolve)
                .filter(e -> refresh(e).target() != null)
                    .to("direct:bigquery-lookup")
                .end()
                .process("cacheWriteProcessor")
                .process(this::finish);

        // Camel redelivery is the one retry mechanism: the client's own retries are off
        from("direct:bigquery-lookup").routeId("bigquery-lookup").shutdownRoute(ShutdownRoute.Defer)
                .onException(RetryableBigQueryException.class)
                    .maximumRedeliveries(settings.bigQueryMaxAttempts() - 1)
                    .redeliveryDelay(settings.retryInitialDelayMs())
                    .useExponentialBackOff().backOffMultiplier(2)
                    .maximumRedeliveryDelay(Settings.RETRY_MAX_DELAY_MS)
                    .retryAttemptedLogLevel(LoggingLevel.DEBUG).logExhausted(false)
                    .continued(true)
                    .process(TableLookup::retriesExhausted)
                .end()
                .onException(Exception.class)
                    .continued(true).logExhausted(false)
                    .process(TableLookup::unexpectedFailure)
                .end()
                .process("tableLookup");
    }

    /** Every row of the run is pending until written: a stop records the rest as failures. */
    private void takeOn(Exchange exchange) {
        List<?> rows = exchange.getMessage().getBody(List.class);
        pending.add(rows.stream().map(r -> String.valueOf(((Map<?, ?>) r).get("id"))).toList());
    }

    private void startTable(Exchange exchange) {
        @SuppressWarnings("unchecked")
        Map<String, Object> columns = exchange.getMessage().getBody(Map.class);
        RunInfo run = exchange.getProperty(SingleFlightRoutePolicy.RUN, RunInfo.class);
        exchange.setProperty(TableRefresh.PROPERTY, new TableRefresh(RegistryRow.fromColumns(columns), run.runId()));
    }

    private void startSingleTable(Exchange exchange) {
        List<?> rows = exchange.getMessage().getBody(List.class);
        if (rows == null || rows.isEmpty()) {
            throw new UnknownTableException(exchange.getMessage().getHeader(TABLE_ID_HEADER, String.class));
        }
        @SuppressWarnings("unchecked")
        RegistryRow row = RegistryRow.fromColumns((Map<String, Object>) rows.get(0));
        if (!row.isRemoteBigQuery()) {
            throw new NotRemoteBigQueryTableException();
        }
        pending.add(row.id());
        exchange.setProperty(TableRefresh.PROPERTY, new TableRefresh(row, RunInfo.newId()));
    }

    private void resolve(Exchange exchange) {
        TableRefresh refresh = refresh(exchange);
        if (exchange.getContext().isStopping()) {
            // the rest of a run is not worth a BigQuery call the stop would cut short
            refresh.failed(PendingTables.INTERRUPTED);
            return;
        }
        TargetResolver.Resolution resolution = resolver.resolve(refresh.row());
        if (resolution instanceof TargetResolver.Resolved r) {
            refresh.target(r.target());
        } else if (resolution instanceof TargetResolver.Invalid i) {
            refresh.failed(i.reason());
        } else if (resolution instanceof TargetResolver.NotConfigured n) {
            refresh.noData(n.reason());
        }
    }

    private void writeFailed(Exchange exchange) {
        Exception e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        TableRefresh refresh = refresh(exchange);
        LOG.warn("bq metadata cache write failed: table_id={} error={}", LogText.safe(refresh.tableId()),
                LogText.safe(FailureClassifier.describe(e)));
        refresh.failed("cache write failed: " + FailureClassifier.describe(e));
    }

    private void finish(Exchange exchange) {
        TableRefresh refresh = refresh(exchange);
        refresh.finished();
        pending.done(refresh.tableId());
        monitor.tableFinished(refresh.status());
        LOG.info("bq metadata refresh table: run_id={} table_id={} status={} fetch_ms={} total_ms={}",
                refresh.runId(), LogText.safe(refresh.tableId()), refresh.status(),
                refresh.fetchMs() == null ? "-" : refresh.fetchMs(), refresh.totalMs());
    }

    private void summarize(Exchange exchange) {
        RunInfo run = exchange.getProperty(SingleFlightRoutePolicy.RUN, RunInfo.class);
        Object body = exchange.getMessage().getBody();
        // no remote rows: the split produced nothing to tally
        RunTally.Counts counts = body instanceof RunTally.Counts c ? c : new RunTally.Counts();
        RunSummary summary = counts.summary(run);
        LOG.info("bq metadata refresh: run_id={} total={} ok={} no_data={} failed={} duration_ms={}",
                summary.runId(), summary.total(), summary.succeeded(), summary.noData(), summary.failed(),
                summary.durationMs());
        exchange.setProperty(SUMMARY, summary);
        monitor.runFinished(new RunHistory.Run(run.runId(), run.startedAt().toInstant(), Instant.now(), run.trigger(),
                summary.total(), summary.succeeded(), summary.noData(), summary.failed(), summary.durationMs()));
        RunHistory.recordParameters(exchange.getMessage(), run, summary);
    }

    private static TableRefresh refresh(Exchange exchange) {
        return exchange.getProperty(TableRefresh.PROPERTY, TableRefresh.class);
    }
}
