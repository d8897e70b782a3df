package io.agnes.bqmc.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.agnes.bqmc.cache.CachedTable;
import io.agnes.bqmc.history.RunRecord;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.Schema.RequiredMode;

/**
 * The status answer (contract section 7), one model for every side of it: {@link StatusReport}
 * writes its fields in this order and the OpenAPI document is generated from it.
 *
 * @param lastRuns an addition to the contract's fields: the newest runs, newest first
 */
public record StatusBody(
        @JsonProperty("scheduler_interval_seconds") @Schema(requiredMode = RequiredMode.REQUIRED)
        long schedulerIntervalSeconds,
        @JsonProperty("fresh_threshold_seconds") @Schema(requiredMode = RequiredMode.REQUIRED,
                description = "Twice the interval: a table refreshed within it is fresh") long freshThresholdSeconds,
        @JsonProperty("server_time") @Schema(requiredMode = RequiredMode.REQUIRED, format = "date-time") String serverTime,
        @JsonProperty(value = "tables", required = true) @ArraySchema(arraySchema = @Schema(requiredMode = RequiredMode.REQUIRED,
                description = "Every remote BigQuery registry row, ordered by table_id")) List<CachedTable> tables,
        @JsonProperty(value = "last_runs", required = true) @ArraySchema(arraySchema = @Schema(requiredMode = RequiredMode.REQUIRED,
                description = "The newest finished or abandoned runs, newest first (an addition to the contract)"))
        List<RunRecord> lastRuns) {
}
