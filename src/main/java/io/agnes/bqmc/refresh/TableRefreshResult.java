package io.agnes.bqmc.refresh;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The answer of a single-table refresh (contract section 7). {@code error} appears only when
 * there is one; {@code fetch_ms} is null when BigQuery was not called.
 */
public record TableRefreshResult(
        @JsonProperty("table_id") String tableId,
        @JsonProperty("status") TableStatus status,
        @JsonProperty("rows") Long rows,
        @JsonProperty("size_bytes") Long sizeBytes,
        @JsonProperty("entity_type") String entityType,
        @JsonProperty("error") @JsonInclude(JsonInclude.Include.NON_NULL) String error,
        @JsonProperty("fetch_ms") Long fetchMs,
        @JsonProperty("total_ms") long totalMs) {
}
