package io.agnes.bqmc.cache;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.agnes.bqmc.support.RawJsonReader;

/**
 * One remote BigQuery table with its cached metadata and freshness, as the status answer shows
 * it (contract section 7). The two lists are kept as the JSON text the database stores and are
 * written out raw: re-parsing thousands of small arrays per answer would buy nothing. Unknown
 * fields are ignored so that a newer server never breaks an older CLI.
 *
 * @param refreshedAt  ISO-8601 UTC, null before the first successful refresh
 * @param clusteredBy  a JSON array of strings, {@code []} when not clustered or never fetched
 * @param knownColumns a JSON array of strings, {@code []} when never fetched
 * @param errorAt      ISO-8601 UTC, null unless the last refresh failed
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CachedTable(
        @JsonProperty("table_id") String tableId,
        @JsonProperty("refreshed_at") String refreshedAt,
        @JsonProperty("rows") Long rows,
        @JsonProperty("size_bytes") Long sizeBytes,
        @JsonProperty("partition_by") String partitionBy,
        @JsonProperty("clustered_by") @JsonRawValue @JsonDeserialize(using = RawJsonReader.class) String clusteredBy,
        @JsonProperty("entity_type") String entityType,
        @JsonProperty("known_columns") @JsonRawValue @JsonDeserialize(using = RawJsonReader.class) String knownColumns,
        @JsonProperty("error_at") String errorAt,
        @JsonProperty("error_msg") String errorMsg,
        @JsonProperty("freshness") Freshness freshness) {
}
