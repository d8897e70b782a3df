package io.agnes.bqmc.refresh;

import io.agnes.bqmc.bigquery.BigQueryTarget;
import io.agnes.bqmc.bigquery.LookupResult;
import io.agnes.bqmc.bigquery.TableMetadata;
import io.agnes.bqmc.cache.CacheEntry;
import io.agnes.bqmc.registry.RegistryRow;

/**
 * The refresh of one table as it moves through the routes, as the body of its exchange. Only
 * {@link RefreshSteps} changes it, one thread at a time; what it hands on are values: a
 * {@link CacheEntry} to the writer, a {@link TableRefreshResult} to the API.
 */
public final class TableRefresh {

    /** The error of a table its run could not finish: the run lost its lock to another replica. */
    static final String FENCED_OFF = "refresh abandoned: the run lost its lock to another replica";

    private final RegistryRow row;
    private final RunInfo run;
    private final long startedNanos = System.nanoTime();
    private BigQueryTarget target;
    private long fetchStartedNanos;
    private Long fetchNanos;
    private int attempts;
    private TableStatus status;
    private TableMetadata metadata;
    private String error;
    private String kind;
    private boolean fencedOff;
    private boolean atTheWriter;
    private long totalNanos;
    /** The table's trace span (a no-op one when traces are off). */
    private io.opentelemetry.api.trace.Span span = io.opentelemetry.api.trace.Span.getInvalid();

    TableRefresh(RegistryRow row, RunInfo run) {
        this.row = row;
        this.run = run;
    }

    io.opentelemetry.api.trace.Span span() {
        return span;
    }

    void span(io.opentelemetry.api.trace.Span span) {
        this.span = span;
    }

    RegistryRow row() {
        return row;
    }

    public String tableId() {
        return row.id();
    }

    RunInfo run() {
        return run;
    }

    /** True the first time only: a write redelivered after a conflict reaches the writer again. */
    boolean reachesTheWriter() {
        boolean first = !atTheWriter;
        atTheWriter = true;
        return first;
    }

    /** A single-table refresh, not one table of a run. */
    boolean single() {
        return RunInfo.SINGLE.equals(run.trigger());
    }

    /** Whether the run may still call BigQuery and write for this table; once not, the table is given up. */
    boolean mayGoOn() {
        if (!fencedOff && !run.lease().held()) {
            fenceOff();
        }
        return !fencedOff;
    }

    /** The database refused the write: the run's row is no longer the run in flight. */
    void fenceOff() {
        fencedOff = true;
        failed(FENCED_OFF, "lock_lost");
    }

    /** Given up: nothing is written for it. */
    boolean fencedOff() {
        return fencedOff;
    }

    BigQueryTarget target() {
        return target;
    }

    void target(BigQueryTarget target) {
        this.target = target;
    }

    int attempts() {
        return attempts;
    }

    /** One request went out, started at {@code requestStartedNanos}: the fetch time spans every attempt and backoff. */
    void attempted(long requestStartedNanos) {
        if (attempts == 0) {
            fetchStartedNanos = requestStartedNanos;
        }
        attempts++;
        fetchNanos = System.nanoTime() - fetchStartedNanos;
    }

    void record(LookupResult result) {
        if (result instanceof LookupResult.Found found) {
            status = TableStatus.OK;
            metadata = found.metadata();
            error = null;
            kind = null;
        } else if (result instanceof LookupResult.NotFound notFound) {
            noData(notFound.reason(), "not_found");
        } else if (result instanceof LookupResult.NotConfigured notConfigured) {
            noData(notConfigured.reason(), "no_credentials");
        } else if (result instanceof LookupResult.Failed failed) {
            failed(failed.error(), failed.kind());
        }
    }

    /** @param kind a short name of why, for the run's counts: {@code not_found}, {@code no_project}, ... */
    void noData(String reason, String kind) {
        status = TableStatus.NO_DATA;
        error = "provider returned no data: " + reason;
        this.kind = kind;
    }

    /** @param kind a short name of why, for the run's counts: {@code accessDenied}, {@code timeout}, ... */
    void failed(String error, String kind) {
        status = TableStatus.ERROR;
        this.error = error;
        this.kind = kind;
    }

    public TableStatus status() {
        return status;
    }

    /** Why it did not end ok, as a short name; null when it did. */
    String kind() {
        return kind;
    }

    String error() {
        return error;
    }

    void finished() {
        totalNanos = System.nanoTime() - startedNanos;
    }

    /** Null when BigQuery was never called for this table. */
    Long fetchMs() {
        return fetchNanos == null ? null : fetchNanos / 1_000_000;
    }

    long totalMs() {
        return totalNanos / 1_000_000;
    }

    CacheEntry cacheEntry() {
        return status == TableStatus.OK ? CacheEntry.success(tableId(), metadata) : CacheEntry.failure(tableId(), error);
    }

    TableRefreshResult result() {
        return new TableRefreshResult(tableId(), status,
                metadata == null ? null : metadata.rows(),
                metadata == null ? null : metadata.sizeBytes(),
                metadata == null ? null : metadata.entityType(),
                error, fetchMs(), totalMs());
    }
}
