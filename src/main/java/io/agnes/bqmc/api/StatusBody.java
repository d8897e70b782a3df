package io.agnes.bqmc.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.agnes.bqmc.cache.CachedTable;
import io.agnes.bqmc.history.RunRecord;

/**
 * The status answer (contract section 7), one model for every side of it: {@link StatusReport}
 * renders it with Jackson, the OpenAPI document is generated from it, and the {@code status}
 * command reads it back. Unknown fields are ignored so a newer server never breaks an older CLI.
 *
 * @param lastRuns an addition to the contract's fields: the newest runs, newest first
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StatusBody(
        @JsonProperty("scheduler_interval_seconds") long schedulerIntervalSeconds,
        @JsonProperty("fresh_threshold_seconds") long freshThresholdSeconds,
        @JsonProperty("server_time") String serverTime,
        @JsonProperty("tables") List<CachedTable> tables,
        @JsonProperty("last_runs") List<RunRecord> lastRuns) {
}
