package io.agnes.bqmc.registry;

/** A validated BigQuery table address: safe to send to BigQuery as it is. */
public record BigQueryTarget(String project, String dataset, String table) {

    @Override
    public String toString() {
        return project + "." + dataset + "." + table;
    }
}
