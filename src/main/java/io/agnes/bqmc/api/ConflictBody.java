package io.agnes.bqmc.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.Schema.RequiredMode;

/** The 409 of contract section 7: {@code {"detail": {"reason": "already_running", ...}}}. */
@Schema(description = "A run is already in flight, on this replica or another: detail names it")
public record ConflictBody(@JsonProperty("detail") @Schema(requiredMode = RequiredMode.REQUIRED) AlreadyRunningDetail detail) {
}
