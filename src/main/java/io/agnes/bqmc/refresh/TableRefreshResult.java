package io.agnes.bqmc.refresh;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.Schema.RequiredMode;

/**
 * The answer of a single-table refresh (contract section 7). {@code error} appears only when
 * there is one; {@code fetch_ms} is null when BigQuery was not called.
 */
public record TableRefreshResult(
        @JsonProperty("table_id") @Schema(requiredMode = RequiredMode.REQUIRED) String tableId,
        @JsonProperty("status") @Schema(requiredMode = RequiredMode.REQUIRED) TableStatus status,
        @JsonProperty("rows") @Schema(requiredMode = RequiredMode.REQUIRED, nullable = true) Long rows,
        @JsonProperty("size_bytes") @Schema(requiredMode = RequiredMode.REQUIRED, nullable = true) Long sizeBytes,
        @JsonProperty("entity_type") @Schema(requiredMode = RequiredMode.REQUIRED, nullable = true) String entityType,
        @JsonProperty("error") @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "Why, when the status is not ok") String error,
        @JsonProperty("fetch_ms") @Schema(requiredMode = RequiredMode.REQUIRED, nullable = true,
                description = "null when BigQuery was not called") Long fetchMs,
        @JsonProperty("total_ms") @Schema(requiredMode = RequiredMode.REQUIRED) long totalMs) {
}
