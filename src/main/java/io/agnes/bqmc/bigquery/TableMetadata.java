package io.agnes.bqmc.bigquery;

import java.util.List;

/**
 * What the cache keeps of one BigQuery table (contract section 5).
 *
 * @param rows         null for views, materialized views, and when BigQuery does not say
 * @param sizeBytes    null for views, materialized views, and when BigQuery does not say
 * @param partitionBy  null when not partitioned
 * @param clusteredBy  empty when not clustered, never null
 * @param knownColumns top-level column names in schema order, never null
 */
public record TableMetadata(
        String entityType, Long rows, Long sizeBytes, String partitionBy, List<String> clusteredBy,
        List<String> knownColumns) {
}
