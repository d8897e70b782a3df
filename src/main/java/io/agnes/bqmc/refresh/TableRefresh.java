package io.agnes.bqmc.refresh;

import io.agnes.bqmc.bigquery.TableMetadata;
import io.agnes.bqmc.registry.BigQueryTarget;
import io.agnes.bqmc.registry.RegistryRow;

/**
 * The state of refreshing one table as it moves through the routes. It lives in an exchange
 * property (bodies change at every JDBC step) and is touched by one thread at a time.
 */
public final class TableRefresh {

    public static final String PROPERTY = "bqmcTableRefresh";

    private final RegistryRow row;
    private final String runId;
    private final long startedNanos = System.nanoTime();
    private BigQueryTarget target;
    private long fetchStartedNanos;
    private Long fetchNanos;
    private int attempts;
    private TableStatus status;
    private TableMetadata metadata;
    private String error;
    private long totalNanos;

    public TableRefresh(RegistryRow row, String runId) {
        this.row = row;
        this.runId = runId;
    }

    public RegistryRow row() {
        return row;
    }

    public String tableId() {
        return row.id();
    }

    public String runId() {
        return runId;
    }

    public BigQueryTarget target() {
        return target;
    }

    public void target(BigQueryTarget target) {
        this.target = target;
    }

    /** Called before each BigQuery request; the fetch time spans every attempt and backoff. */
    public void attemptStarting() {
        if (attempts == 0) {
            fetchStartedNanos = System.nanoTime();
        }
        attempts++;
    }

    public void attemptEnded() {
        fetchNanos = System.nanoTime() - fetchStartedNanos;
    }

    public int attempts() {
        return attempts;
    }

    public void succeeded(TableMetadata metadata) {
        this.status = TableStatus.OK;
        this.metadata = metadata;
        this.error = null;
    }

    public void noData(String reason) {
        this.status = TableStatus.NO_DATA;
        this.error = "provider returned no data: " + reason;
    }

    public void failed(String error) {
        this.status = TableStatus.ERROR;
        this.error = error;
    }

    public TableStatus status() {
        return status;
    }

    public TableMetadata metadata() {
        return metadata;
    }

    public String error() {
        return error;
    }

    public void finished() {
        totalNanos = System.nanoTime() - startedNanos;
    }

    /** Null when BigQuery was never called for this table. */
    public Long fetchMs() {
        return fetchNanos == null ? null : fetchNanos / 1_000_000;
    }

    public long totalMs() {
        return totalNanos / 1_000_000;
    }

    public TableRefreshResult result() {
        return new TableRefreshResult(tableId(), status,
                metadata == null ? null : metadata.rows(),
                metadata == null ? null : metadata.sizeBytes(),
                metadata == null ? null : metadata.entityType(),
                error, fetchMs(), totalMs());
    }
}
