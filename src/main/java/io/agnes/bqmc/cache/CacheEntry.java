package io.agnes.bqmc.cache;

import io.agnes.bqmc.bigquery.TableMetadata;

/**
 * One table's outcome as the cache stores it (contract section 3): a success with its metadata,
 * or a failure with its error text (which leaves the last good numbers in place).
 *
 * @param metadata null for a failure
 * @param error    null for a success
 */
public record CacheEntry(String tableId, TableMetadata metadata, String error) {

    public static CacheEntry success(String tableId, TableMetadata metadata) {
        return new CacheEntry(tableId, metadata, null);
    }

    public static CacheEntry failure(String tableId, String error) {
        return new CacheEntry(tableId, null, error);
    }

    public boolean isSuccess() {
        return metadata != null;
    }
}
