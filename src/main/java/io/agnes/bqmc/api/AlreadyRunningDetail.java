package io.agnes.bqmc.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.Schema.RequiredMode;

/** The 409 detail of contract section 7. */
@JsonPropertyOrder({"reason", "run_id", "started_at", "hint"})
public record AlreadyRunningDetail(
        @JsonProperty("run_id") @Schema(requiredMode = RequiredMode.REQUIRED, nullable = true, pattern = "^[0-9a-f]{8}$")
        String runId,
        @JsonProperty("started_at") @Schema(requiredMode = RequiredMode.REQUIRED, nullable = true, format = "date-time")
        String startedAt) {

    @JsonProperty("reason")
    @Schema(requiredMode = RequiredMode.REQUIRED, allowableValues = "already_running")
    public String reason() {
        return "already_running";
    }

    @JsonProperty("hint")
    @Schema(requiredMode = RequiredMode.REQUIRED)
    public String hint() {
        return "A refresh is already in flight; this caller is a no-op.";
    }
}
