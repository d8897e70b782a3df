package io.agnes.bqmc.cache;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.annotation.JsonView;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.Schema.RequiredMode;

/**
 * One remote BigQuery table with its cached metadata and freshness, as the status answer shows
 * it (contract section 7). The two lists are kept as the JSON text the database stores and are
 * written out raw: re-parsing thousands of small arrays per answer would buy nothing. The schema
 * annotations make the OpenAPI document say what the wire carries.
 *
 * @param refreshedAt  ISO-8601 UTC, null before the first successful refresh
 * @param clusteredBy  a JSON array of strings, {@code []} when not clustered or never fetched
 * @param knownColumns a JSON array of strings, {@code []} when never fetched
 * @param errorAt      ISO-8601 UTC, null unless the last refresh failed
 */
@Schema(description = "A remote BigQuery table with its cached metadata and how fresh it is")
public record CachedTable(
        @JsonProperty("table_id") @Schema(requiredMode = RequiredMode.REQUIRED) String tableId,
        @JsonProperty("refreshed_at")
        @Schema(requiredMode = RequiredMode.REQUIRED, nullable = true, format = "date-time",
                description = "The last successful refresh; null before the first")
        String refreshedAt,
        @JsonProperty("rows") @Schema(requiredMode = RequiredMode.REQUIRED, nullable = true,
                description = "null for views, before the first refresh, or when BigQuery does not say") Long rows,
        @JsonProperty("size_bytes") @Schema(requiredMode = RequiredMode.REQUIRED, nullable = true) Long sizeBytes,
        @JsonProperty("partition_by") @Schema(requiredMode = RequiredMode.REQUIRED, nullable = true) String partitionBy,
        @JsonProperty(value = "clustered_by", required = true) @JsonRawValue
        @ArraySchema(schema = @Schema(type = "string"), arraySchema = @Schema(requiredMode = RequiredMode.REQUIRED,
                description = "The clustering columns in order; empty when not clustered or never fetched"))
        String clusteredBy,
        @JsonProperty("entity_type")
        @Schema(requiredMode = RequiredMode.REQUIRED, nullable = true, description = "BASE TABLE, CLONE, VIEW,"
                + " MATERIALIZED VIEW, EXTERNAL or SNAPSHOT; a type BigQuery added later as INFORMATION_SCHEMA writes"
                + " types (upper case, underscores as spaces); null until the first successful refresh, or when"
                + " BigQuery named no type. Not an enum: BigQuery's list of types grows.")
        String entityType,
        @JsonProperty(value = "known_columns", required = true) @JsonRawValue
        @ArraySchema(schema = @Schema(type = "string"), arraySchema = @Schema(requiredMode = RequiredMode.REQUIRED,
                description = "The top-level columns in schema order; empty when never fetched"))
        String knownColumns,
        @JsonProperty("error_at")
        @Schema(requiredMode = RequiredMode.REQUIRED, nullable = true, format = "date-time",
                description = "When the last refresh failed; null when the last refresh succeeded")
        String errorAt,
        @JsonProperty("error_msg") @Schema(requiredMode = RequiredMode.REQUIRED, nullable = true) String errorMsg,
        @JsonProperty("freshness") @JsonView(CachedTable.WithVerdict.class)
        @Schema(requiredMode = RequiredMode.REQUIRED) Freshness freshness) {

    /** A Jackson view: every field but the verdict, which changes with time alone ({@link KeptTables}). */
    public interface WithoutVerdict {
    }

    /** A Jackson view: every field. */
    public interface WithVerdict extends WithoutVerdict {
    }
}
