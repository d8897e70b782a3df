package io.agnes.bqmc.bigquery;

/**
 * What one {@code tables.get} said about a table, when that is final; a retryable failure is
 * thrown as {@link RetryableBigQueryException} instead, for the route to try again.
 */
public sealed interface LookupResult {

    /** The table exists: its metadata. */
    record Found(TableMetadata metadata) implements LookupResult {
    }

    /** BigQuery answered 404: the table does not exist. */
    record NotFound(String reason) implements LookupResult {
    }

    /** No request was made: no usable Google credentials. */
    record NotConfigured(String reason) implements LookupResult {
    }

    /**
     * A final failure (400, 401, 403 accessDenied/quotaExceeded, an unreadable answer): its
     * error text, and its {@link FailureClassifier#kind kind} for counting.
     */
    record Failed(String error, String kind) implements LookupResult {
    }
}
