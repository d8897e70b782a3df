package io.agnes.bqmc.bigquery;

import java.time.Duration;

import com.google.cloud.bigquery.BigQueryException;

/**
 * Marks a BigQuery failure that Camel's redelivery should retry with backoff; the route's
 * {@code onException} for this type is the only retry mechanism (the client's own is off).
 * Carries BigQuery's {@code Retry-After}, when it sent one.
 */
public class RetryableBigQueryException extends RuntimeException {

    private final transient Duration retryAfter;

    public RetryableBigQueryException(BigQueryException cause, Duration retryAfter) {
        super(cause.getMessage(), cause);
        this.retryAfter = retryAfter;
    }

    @Override
    public synchronized BigQueryException getCause() {
        return (BigQueryException) super.getCause();
    }

    /** How long BigQuery asked to wait before the next attempt; null when it did not say. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
