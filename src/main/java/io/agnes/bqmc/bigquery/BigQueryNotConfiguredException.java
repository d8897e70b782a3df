package io.agnes.bqmc.bigquery;

/** No usable Google credentials: every lookup ends as {@code no_data}, with this message as the reason. */
public class BigQueryNotConfiguredException extends Exception {

    public BigQueryNotConfiguredException(String message, Throwable cause) {
        super(message, cause);
    }
}
