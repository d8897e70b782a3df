package io.agnes.bqmc.registry;

import java.util.Map;

/** The columns of one {@code table_registry} row that a refresh needs. */
public record RegistryRow(
        String id, String name, String sourceType, String bucket, String sourceTable, String queryMode, String bqFqn) {

    /** Only remote BigQuery rows are refreshed (contract section 4). */
    public boolean isRemoteBigQuery() {
        return "remote".equals(queryMode) && "bigquery".equals(sourceType);
    }

    /** From a camel-jdbc {@code SelectList} row (column names as the database reports them). */
    public static RegistryRow fromColumns(Map<String, Object> row) {
        return new RegistryRow(
                text(row, "id"), text(row, "name"), text(row, "source_type"), text(row, "bucket"),
                text(row, "source_table"), text(row, "query_mode"), text(row, "bq_fqn"));
    }

    private static String text(Map<String, Object> row, String column) {
        Object value = row.get(column);
        return value == null ? null : value.toString();
    }
}
