package io.agnes.bqmc.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The shape of the status answer: what {@link StatusReport} streams, what the OpenAPI document
 * describes, and what the {@code status} command reads back. Unknown fields are ignored so a
 * newer server never breaks an older CLI.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StatusBody(
        @JsonProperty("scheduler_interval_seconds") long schedulerIntervalSeconds,
        @JsonProperty("fresh_threshold_seconds") long freshThresholdSeconds,
        @JsonProperty("server_time") String serverTime,
        @JsonProperty("tables") List<Table> tables,
        @JsonProperty("last_runs") List<Run> lastRuns) {

    /** One remote BigQuery table with its cached metadata. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Table(
            @JsonProperty("table_id") String tableId,
            @JsonProperty("refreshed_at") String refreshedAt,
            @JsonProperty("rows") Long rows,
            @JsonProperty("size_bytes") Long sizeBytes,
            @JsonProperty("partition_by") String partitionBy,
            @JsonProperty("clustered_by") List<String> clusteredBy,
            @JsonProperty("entity_type") String entityType,
            @JsonProperty("known_columns") List<String> knownColumns,
            @JsonProperty("error_at") String errorAt,
            @JsonProperty("error_msg") String errorMsg,
            @JsonProperty("freshness") String freshness) {
    }

    /** One finished refresh run. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Run(
            @JsonProperty("run_id") String runId,
            @JsonProperty("started_at") String startedAt,
            @JsonProperty("finished_at") String finishedAt,
            @JsonProperty("trigger") String trigger,
            @JsonProperty("total") int total,
            @JsonProperty("succeeded") int succeeded,
            @JsonProperty("no_data") int noData,
            @JsonProperty("failed") int failed,
            @JsonProperty("duration_ms") long durationMs) {
    }
}
