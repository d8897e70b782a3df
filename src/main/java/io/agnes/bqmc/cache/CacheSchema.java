package io.agnes.bqmc.cache;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.List;

import io.agnes.bqmc.db.Dialect;
import io.agnes.bqmc.db.Tables;

/**
 * {@code bq_metadata_cache}, exactly as contract section 3 defines it. On DuckDB it is ours:
 * created if missing, and on a database an older version of the cache created, given the
 * columns it lacks; nothing is ever dropped, renamed or retyped. On PostgreSQL the platform's
 * migrations own it (jsonb lists, timestamptz times): it must be there, and is never altered.
 */
public final class CacheSchema {

    /** Ours: the service creates it, and may rebuild it (db.Database). */
    public static final String TABLE = "bq_metadata_cache";

    public static final String CREATE = """
            CREATE TABLE IF NOT EXISTS bq_metadata_cache (
                table_id VARCHAR PRIMARY KEY,
                "rows" BIGINT,
                size_bytes BIGINT,
                partition_by VARCHAR,
                clustered_by JSON,
                entity_type VARCHAR,
                known_columns JSON,
                refreshed_at TIMESTAMP,
                error_at TIMESTAMP,
                error_msg VARCHAR
            )""";

    /** Every column but the key, for {@code ADD COLUMN IF NOT EXISTS}. */
    private static final List<String> COLUMNS = List.of(
            "\"rows\" BIGINT", "size_bytes BIGINT", "partition_by VARCHAR", "clustered_by JSON",
            "entity_type VARCHAR", "known_columns JSON", "refreshed_at TIMESTAMP",
            "error_at TIMESTAMP", "error_msg VARCHAR");

    private static final List<String> NAMES = List.of("table_id", "rows", "size_bytes", "partition_by", "clustered_by",
            "entity_type", "known_columns", "refreshed_at", "error_at", "error_msg");

    private CacheSchema() {
    }

    public static void ensure(Connection c, Dialect dialect) throws SQLException {
        if (dialect == Dialect.POSTGRESQL) {
            Tables.requirePlatformTable(c, "bq_metadata_cache", NAMES);
            return;
        }
        // only what is missing: ALTER needs more than the right to use the table
        Set<String> present = Tables.columns(c, TABLE);
        try (Statement s = c.createStatement()) {
            if (present.isEmpty()) {
                s.execute(CREATE);
                return;
            }
            for (String column : COLUMNS) {
                if (!present.contains(column.substring(0, column.indexOf(' ')).replace("\"", "").toLowerCase(java.util.Locale.ROOT))) {
                    s.execute("ALTER TABLE bq_metadata_cache ADD COLUMN " + column);
                }
            }
        }
    }
}
