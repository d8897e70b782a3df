package io.agnes.bqmc.refresh;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The answer of a full run (contract section 7). */
public record RunSummary(
        @JsonProperty("run_id") String runId,
        @JsonProperty("started_at") String startedAt,
        @JsonProperty("total") int total,
        @JsonProperty("succeeded") int succeeded,
        @JsonProperty("no_data") int noData,
        @JsonProperty("failed") int failed,
        @JsonProperty("duration_ms") long durationMs) {
}
