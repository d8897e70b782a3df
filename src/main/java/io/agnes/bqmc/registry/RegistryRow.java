package io.agnes.bqmc.registry;

import java.util.Map;

/**
 * The columns of one {@code table_registry} row that a refresh needs.
 *
 * @param remoteBigQuery whether the row is one a run refreshes, as {@link RegistryTable#IS_REMOTE_BIGQUERY} judged it
 */
public record RegistryRow(
        String id, String name, String sourceType, String bucket, String sourceTable, String bqFqn,
        boolean remoteBigQuery) {

    /** From a camel-jdbc row of {@link RegistryTable}'s selects (column names as the database reports them). */
    public static RegistryRow fromColumns(Map<String, Object> row) {
        return new RegistryRow(
                text(row, "id"), text(row, "name"), text(row, "source_type"), text(row, "bucket"),
                text(row, "source_table"), text(row, "bq_fqn"), Boolean.TRUE.equals(row.get("remote_bigquery")));
    }

    private static String text(Map<String, Object> row, String column) {
        Object value = row.get(column);
        return value == null ? null : value.toString();
    }
}
