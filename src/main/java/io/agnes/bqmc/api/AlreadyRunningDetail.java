package io.agnes.bqmc.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** The 409 detail of contract section 7. */
@JsonPropertyOrder({"reason", "run_id", "started_at", "hint"})
public record AlreadyRunningDetail(
        @JsonProperty("run_id") String runId,
        @JsonProperty("started_at") String startedAt) {

    @JsonProperty("reason")
    public String reason() {
        return "already_running";
    }

    @JsonProperty("hint")
    public String hint() {
        return "A refresh is already in flight; this caller is a no-op.";
    }
}
