package io.agnes.bqmc.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.Schema.RequiredMode;

/** Every API error but the 409: {@code {"detail": "..."}}. */
@Schema(description = "An error: what went wrong, in a sentence")
public record ErrorBody(@JsonProperty("detail") @Schema(requiredMode = RequiredMode.REQUIRED) String detail) {
}
