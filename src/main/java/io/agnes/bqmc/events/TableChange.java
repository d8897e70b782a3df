package io.agnes.bqmc.events;

import java.time.Instant;

/**
 * A BigQuery table an audit entry says changed.
 *
 * @param project   as written in the entry
 * @param dataset   as written in the entry
 * @param table     without a partition ({@code $}) or snapshot ({@code @}) decorator
 * @param event     {@code tableCreation}, {@code tableChange}, {@code tableDeletion}, {@code tableDataChange} or {@code jobChange}
 * @param changedAt the entry's {@code timestamp}: when BigQuery made the change
 */
public record TableChange(String project, String dataset, String table, String event, Instant changedAt) {

    /** {@code project.dataset.table}, as a registry row's {@code bq_fqn} names it. */
    public String fqn() {
        return project + "." + dataset + "." + table;
    }
}
