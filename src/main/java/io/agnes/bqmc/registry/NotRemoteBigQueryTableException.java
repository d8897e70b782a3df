package io.agnes.bqmc.registry;

/** The row exists but is not a remote BigQuery table, so there is nothing to look up. */
public class NotRemoteBigQueryTableException extends RuntimeException {

    public NotRemoteBigQueryTableException() {
        super("Manual metadata refresh is only meaningful for remote BigQuery tables");
    }
}
