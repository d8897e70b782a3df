package io.agnes.bqmc.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.Schema.RequiredMode;

/** Who the token belongs to: what the status page needs to offer an admin's buttons. Never the token. */
@Schema(description = "The caller the bearer token stands for")
public record CallerBody(
        @JsonProperty("user") @Schema(requiredMode = RequiredMode.REQUIRED) String user,
        @JsonProperty("role") @Schema(requiredMode = RequiredMode.REQUIRED, allowableValues = {"admin", "analyst"})
        String role) {
}
