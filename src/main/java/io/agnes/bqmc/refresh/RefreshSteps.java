package io.agnes.bqmc.refresh;

import java.sql.SQLException;
import java.util.List;
import java.util.Map;

import io.agnes.bqmc.db.Database;
import io.agnes.bqmc.bigquery.FailureClassifier;
import io.agnes.bqmc.bigquery.LookupResult;
import io.agnes.bqmc.bigquery.RetryableBigQueryException;
import io.agnes.bqmc.bigquery.TableLookup;
import io.agnes.bqmc.db.Fence;
import io.agnes.bqmc.history.RunHistory;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.registry.NotRemoteBigQueryTableException;
import io.agnes.bqmc.registry.RegistryRow;
import io.agnes.bqmc.registry.RegistryTable;
import io.agnes.bqmc.registry.TargetResolver;
import io.agnes.bqmc.registry.UnknownTableException;
import io.agnes.bqmc.support.LogContext;
import io.agnes.bqmc.support.LogText;
import io.agnes.bqmc.support.Times;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import org.apache.camel.Exchange;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.support.SynchronizationAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of a refresh, which {@link RefreshRoutes} calls in order: what to take on, how to
 * resolve and look up one table, what to record when a step fails, and how a table and a run
 * finish. Each step is a processor method ({@code void step(Exchange)}): the per-table steps
 * run tens of thousands of times a run, where bean-parameter binding would cost more than the
 * step itself. The body of a table's exchange is its {@link TableRefresh}.
 */
public class RefreshSteps {

    private static final Logger LOG = LoggerFactory.getLogger("io.agnes.bqmc.refresh");

    private final TargetResolver resolver;
    private final TableLookup lookup;
    private final RunHistory history;
    private final PendingTables pending;
    private final RefreshEvents events;
    private final String replica;
    private final RegistryTable registry;
    private final Database dataSource;

    private static final String MORE_PAGES = "bqmc.more-registry-pages";
    /** The run's trace span, on the run's exchange and (copied by the split) each table's. */
    private static final String RUN_SPAN = "bqmc.run-span";
    /** Set once the run's record is made: a run done without it failed. */
    private static final String FINISHED = "bqmc.run-finished";
    private final LookupPool pool;
    private final Tracer tracer;
    private final RunProgress progress;

    /**
     * @param replica this replica's name, in the run's history row
     * @param pool    the runs' lookup threads, whose slots bound a run's requests in flight
     * @param tracer  the run's and each table's span (OpenTelemetry's no-op tracer when traces are off)
     * @param progress the run in flight as it goes, for the live stream and the progress gauges
     */
    public RefreshSteps(TargetResolver resolver, TableLookup lookup, RunHistory history, PendingTables pending,
                        RefreshEvents events, String replica, RegistryTable registry, Database dataSource,
                        LookupPool pool, Tracer tracer, RunProgress progress) {
        this.progress = progress;
        this.pool = pool;
        this.tracer = tracer;
        this.registry = registry;
        this.dataSource = dataSource;
        this.resolver = resolver;
        this.lookup = lookup;
        this.history = history;
        this.pending = pending;
        this.events = events;
        this.replica = replica;
    }

    /** The run's {@code running} row: it names the run in flight to every replica, and fences its writes. */
    public void startRun(Exchange exchange) throws SQLException {
        RunInfo run = exchange.getProperty(SingleFlightRoutePolicy.RUN, RunInfo.class);
        // a run that ends without its record is told once its exchange is done, whoever handles the
        // error: the API's error mapping handles it, so a route's failure-only completion never ran
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                if (done.getProperty(FINISHED) == null) {
                    runFailed(done);
                }
            }
        });
        dataSource.checkWritable();
        history.started(run.runId(), run.startedAt(), run.origin(), replica);
        // under the span current here: the API request's (Camel's), or the timer route's
        var span = tracer.spanBuilder("bq metadata refresh run").setParent(Context.current())
                .setAttribute("bqmc.run_id", run.runId()).setAttribute("bqmc.triggered_by", run.origin().triggeredBy())
                .setAttribute("bqmc.replica", replica);
        if (run.origin().requestId() != null) {
            span.setAttribute("bqmc.request_id", run.origin().requestId());
        }
        exchange.setProperty(RUN_SPAN, span.startSpan());
        progress.started(run, countRemote());
    }

    /** The remote rows as the run starts: what its progress is measured against. */
    private long countRemote() throws SQLException {
        try (java.sql.Connection c = dataSource.getConnection(); java.sql.Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery(RegistryTable.COUNT_REMOTE)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * A run's registry rows, read a page at a time as the split takes them. A table is pending
     * from when the split takes it until it is written; a stop records every remote table the
     * run has not written since it started.
     */
    public void takeOn(Exchange exchange) {
        RunInfo run = exchange.getProperty(SingleFlightRoutePolicy.RUN, RunInfo.class);
        pending.run(run.startedAt());
        exchange.setProperty(RunTally.COUNTS, new RunTally.Counts());
        exchange.setProperty(MORE_PAGES, true);
        exchange.getMessage().setHeader(RegistryTable.AFTER_PARAMETER, "");
        exchange.getMessage().setHeader(RegistryTable.FIRST_PARAMETER, true);
    }

    /** Whether the registry may hold rows after the last page read. */
    public boolean morePages(Exchange exchange) {
        return exchange.getProperty(MORE_PAGES, false, Boolean.class);
    }

    /** A page of the run's rows, read by camel-jdbc: the next one starts after its last id. */
    public void page(Exchange exchange) {
        List<RegistryRow> rows = rows(exchange);
        if (rows.size() < RegistryTable.PAGE) {
            exchange.setProperty(MORE_PAGES, false);
        } else {
            exchange.getMessage().setHeader(RegistryTable.AFTER_PARAMETER, rows.get(rows.size() - 1).id());
            exchange.getMessage().setHeader(RegistryTable.FIRST_PARAMETER, false);
        }
        exchange.getMessage().setBody(rows);
    }

    /** One row of the run's split. */
    public void beginTable(Exchange exchange) {
        RunInfo run = exchange.getProperty(SingleFlightRoutePolicy.RUN, RunInfo.class);
        RegistryRow row = exchange.getMessage().getBody(RegistryRow.class);
        pending.addRunTable(row.id());
        TableRefresh refresh = new TableRefresh(row, run);
        Span runSpan = exchange.getProperty(RUN_SPAN, Span.class);
        refresh.span(tableSpan(row.id(), run, runSpan == null ? Context.current() : Context.root().with(runSpan)));
        exchange.getMessage().setBody(refresh);
    }

    private Span tableSpan(String tableId, RunInfo run, Context parent) {
        return tracer.spanBuilder("bq metadata refresh table").setParent(parent).setAttribute("bqmc.table_id", tableId)
                .setAttribute("bqmc.run_id", run.runId()).startSpan();
    }

    /** The single-table refresh: the row must exist and be a remote BigQuery table. */
    public void beginOneTable(Exchange exchange) {
        List<RegistryRow> rows = rows(exchange);
        if (rows.isEmpty()) {
            throw new UnknownTableException(exchange.getMessage().getHeader(RegistryTable.ID_PARAMETER, String.class));
        }
        RegistryRow row = rows.get(0);
        if (!row.remoteBigQuery()) {
            throw new NotRemoteBigQueryTableException();
        }
        pending.add(row.id());
        RunOrigin origin = exchange.getProperty(RunOrigin.PROPERTY, RunOrigin.class);
        // not a run: no slot, and nothing to lose
        TableRefresh refresh = new TableRefresh(row, RunInfo.start(RunInfo.newId(),
                origin != null ? origin : new RunOrigin(RunInfo.SINGLE, "direct", null, null), RunLease.LOCAL));
        refresh.span(tableSpan(row.id(), refresh.run(), Context.current()));
        exchange.getMessage().setBody(refresh);
    }

    public void resolve(Exchange exchange) {
        TableRefresh refresh = table(exchange);
        if (exchange.getContext().isStopping()) {
            // the rest of a run is not worth a BigQuery call the stop would cut short
            refresh.failed(PendingTables.INTERRUPTED, "interrupted");
            return;
        }
        if (!refresh.mayGoOn()) {
            return;
        }
        TargetResolver.Resolution resolution = resolver.resolve(refresh.row());
        if (resolution instanceof TargetResolver.Resolved r) {
            refresh.target(r.target());
        } else if (resolution instanceof TargetResolver.Invalid i) {
            refresh.failed(i.reason(), "invalid_identifier");
        } else if (resolution instanceof TargetResolver.NotConfigured n) {
            refresh.noData(n.reason(), "no_project");
        }
    }

    /** Whether the table has a target to look up: invalid and unconfigured rows do not reach BigQuery. */
    public static boolean needsLookup(Exchange exchange) {
        TableRefresh refresh = table(exchange);
        return refresh.target() != null && !refresh.fencedOff();
    }

    /**
     * One attempt; a retryable failure is thrown on for the route's redelivery. A run's attempt
     * runs in one of the run's slots, and decides whether to go on only once it holds one: the
     * run may have lost its lock while it waited.
     */
    public void lookup(Exchange exchange) {
        TableRefresh refresh = table(exchange);
        // the client's own spans (the HTTP call among them) go under the table's
        try (Scope inTable = refresh.span().makeCurrent()) {
            if (refresh.single()) {
                attempt(exchange, refresh);
            } else {
                pool.inSlot(() -> attempt(exchange, refresh));
            }
        }
    }

    private void attempt(Exchange exchange, TableRefresh refresh) {
        if (!refresh.mayGoOn()) {
            return;
        }
        if (exchange.getContext().isStopping() && refresh.attempts() > 0) {
            // a retry the stop would cut short: the table keeps its last good numbers, and says why
            refresh.failed(PendingTables.INTERRUPTED, "interrupted");
            return;
        }
        boolean retry = refresh.attempts() > 0;
        long started = System.nanoTime();
        LookupResult result;
        try {
            result = lookup.lookup(refresh.target());
        } catch (RuntimeException e) {
            refresh.attempted(started);
            events.bigQueryRequest(System.nanoTime() - started, e instanceof RetryableBigQueryException retryable
                    ? (FailureClassifier.isRateLimited(retryable.getCause()) ? "rate_limited" : "retryable_error")
                    : "error", retry);
            throw e;
        }
        if (!(result instanceof LookupResult.NotConfigured)) {
            refresh.attempted(started);
            events.bigQueryRequest(System.nanoTime() - started,
                    result instanceof LookupResult.Found ? "ok" : result instanceof LookupResult.NotFound ? "not_found" : "error",
                    retry);
        }
        refresh.record(result);
    }

    /** After the last redelivery: the table keeps its last good numbers and records why. */
    public void lookupExhausted(Exchange exchange) {
        RetryableBigQueryException e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, RetryableBigQueryException.class);
        table(exchange).failed(FailureClassifier.describe(e.getCause()), FailureClassifier.kind(e.getCause()));
    }

    /** Anything unforeseen (an unmappable answer, a client bug) is this table's error, not the run's. */
    public void lookupBroke(Exchange exchange) {
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        while (e instanceof RuntimeCamelException && e.getCause() != null) {
            e = e.getCause(); // Camel's wrappers say nothing about what went wrong
        }
        TableRefresh refresh = table(exchange);
        try (LogContext context = LogContext.table(refresh.run().runId(), refresh.run().origin().requestId(), refresh.tableId())) {
            LOG.warn("unexpected failure looking up table_id={}", LogText.safe(refresh.tableId()), e);
        }
        refresh.failed(FailureClassifier.describe(e), "unexpected");
    }

    /**
     * A write the database cannot take now: it is unreachable, or the run was fenced off. A
     * write that merely conflicted with another (a run and a single refresh on one row) goes
     * through on a retry; these would not.
     */
    public static boolean writeCannotGoThroughNow(Exchange exchange) {
        Throwable e = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof Fence.FencedOffException || t instanceof java.sql.SQLTransientConnectionException
                    || t instanceof java.sql.SQLNonTransientConnectionException
                    || (t instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08"))) {
                return true;
            }
        }
        return false;
    }

    /** The cache write failed even after its redeliveries: the run goes on, the table reports it. */
    public void writeFailed(Exchange exchange) {
        Exception e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        TableRefresh refresh = table(exchange);
        if (e instanceof Fence.FencedOffException) {
            refresh.fenceOff();
            return;
        }
        String error = e == null ? "unknown" : e.getClass().getSimpleName() + ": " + LogText.safe(e.getMessage());
        try (LogContext context = LogContext.table(refresh.run().runId(), refresh.run().origin().requestId(), refresh.tableId())) {
            LOG.warn("bq metadata cache write failed: table_id={} error={}", LogText.safe(refresh.tableId()),
                    LogText.safe(error));
        }
        refresh.failed("cache write failed: " + error, RunTally.WRITE_FAILED);
    }

    public void finishTable(Exchange exchange) {
        TableRefresh refresh = table(exchange);
        refresh.finished();
        pending.done(refresh.tableId());
        events.tableFinished(refresh.status());
        progress.tableFinished(refresh.run(), refresh.tableId(), refresh.status(), refresh.fetchMs());
        endSpan(refresh);
        // the contract's line; a table that did not end ok says why at its end
        try (LogContext context = LogContext.table(refresh.run().runId(), refresh.run().origin().requestId(), refresh.tableId())) {
            LOG.info("bq metadata refresh table: run_id={} table_id={} status={} fetch_ms={} total_ms={}{}",
                    refresh.run().runId(), LogText.safe(refresh.tableId()), refresh.status(),
                    refresh.fetchMs() == null ? "-" : refresh.fetchMs(), refresh.totalMs(),
                    refresh.error() == null ? "" : " error=" + LogText.safe(refresh.error()));
        }
    }

    private static void endSpan(TableRefresh refresh) {
        Span span = refresh.span();
        span.setAttribute("bqmc.outcome", refresh.status().wire());
        if (refresh.fetchMs() != null) {
            span.setAttribute("bqmc.fetch_ms", refresh.fetchMs());
        }
        if (refresh.kind() != null) {
            span.setAttribute("bqmc.error_kind", refresh.kind());
        }
        if (refresh.status() == TableStatus.ERROR) {
            span.setStatus(StatusCode.ERROR, refresh.error());
        }
        span.end();
    }

    /** The single-table refresh's answer. */
    public void answerOneTable(Exchange exchange) {
        exchange.getMessage().setBody(table(exchange).result());
    }

    /**
     * The run's record: logged, counted, completed in the history, and the answer to whoever
     * started it. A run that lost its lock records nothing: the replica that took over marked
     * it abandoned.
     */
    public void finishRun(Exchange exchange) {
        pending.run(null);
        RunInfo run = exchange.getProperty(SingleFlightRoutePolicy.RUN, RunInfo.class);
        RunTally.Counts counts = exchange.getProperty(RunTally.COUNTS, RunTally.Counts.class);
        RunRecord record = counts.toRecord(run, Times.now(), replica);
        try (LogContext context = LogContext.run(run.runId(), run.origin().requestId())) {
            finish(record, counts, run);
        }
        exchange.setProperty(FINISHED, true);
        Span span = exchange.getProperty(RUN_SPAN, Span.class);
        if (span != null) {
            span.setAttribute("bqmc.total", record.total()).setAttribute("bqmc.succeeded", record.succeeded())
                    .setAttribute("bqmc.no_data", record.noData()).setAttribute("bqmc.failed", record.failed()).end();
        }
        exchange.getMessage().setBody(record);
    }

    private void finish(RunRecord record, RunTally.Counts counts, RunInfo run) {
        // the contract's line; a run with failures, or without credentials, says so at WARN with the count of each kind
        boolean warn = record.failed() > 0 || counts.kinds().containsKey("no_credentials")
                || counts.kinds().containsKey("no_project");
        String line = "bq metadata refresh: run_id={} total={} ok={} no_data={} failed={} duration_ms={}{}"
                + " triggered_by={} caller={}";
        Object[] values = {record.runId(), record.total(), record.succeeded(), record.noData(), record.failed(),
            record.durationMs(), counts.kinds().isEmpty() ? "" : " errors=" + counts.kindsText(),
            record.triggeredBy(), record.caller() == null ? "-" : LogText.safe(record.caller())};
        if (warn) {
            LOG.warn(line, values);
        } else {
            LOG.info(line, values);
        }
        events.runFinished(record);
        progress.finished(record);
        try {
            if (!run.lease().held() || !history.finished(record)) {
                LOG.warn("bq metadata refresh: run_id={} lost its run lock before it finished: it made no BigQuery"
                        + " request and wrote nothing after that, and stays recorded as abandoned", record.runId());
            }
        } catch (SQLException e) {
            // the database went away under the run: its tables already say so; the next run marks it abandoned
            LOG.warn("bq metadata refresh: run_id={} could not be recorded in the run history: {}", record.runId(),
                    LogText.safe(e.getMessage()));
        }
    }

    /** A run that ended with an error instead of a summary (its caller may have handled the error since). */
    void runFailed(Exchange exchange) {
        if (!exchange.getContext().isStopping() && !exchange.getContext().isStopped()) {
            // a stop cut it short: the stop's bookkeeping records its unwritten tables from the run's start
            pending.run(null);
        }
        RunInfo run = exchange.getProperty(SingleFlightRoutePolicy.RUN, RunInfo.class);
        Throwable error = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String reason = error == null ? "unknown" : LogText.safe(String.valueOf(error.getMessage()));
        events.runFailed(run.trigger());
        progress.failed(run, reason);
        Span span = exchange.getProperty(RUN_SPAN, Span.class);
        if (span != null) {
            span.setStatus(StatusCode.ERROR, reason).end();
        }
    }

    static TableRefresh table(Exchange exchange) {
        return exchange.getMessage().getBody(TableRefresh.class);
    }

    @SuppressWarnings("unchecked")
    private static List<RegistryRow> rows(Exchange exchange) {
        List<Map<String, Object>> columns = exchange.getMessage().getBody(List.class);
        return columns == null ? List.of() : columns.stream().map(RegistryRow::fromColumns).toList();
    }
}
