package io.agnes.bqmc.bigquery;

import com.google.cloud.bigquery.BigQueryException;

/**
 * Marks a BigQuery failure that Camel's redelivery should retry with backoff; the route's
 * {@code onException} for this type is the only retry mechanism (the client's own is off).
 */
public class RetryableBigQueryException extends RuntimeException {

    public RetryableBigQueryException(BigQueryException cause) {
        super(cause.getMessage(), cause);
    }

    @Override
    public synchronized BigQueryException getCause() {
        return (BigQueryException) super.getCause();
    }
}
