package io.agnes.bqmc.cache;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * {@code bq_metadata_cache}, exactly as contract section 3 defines it: created if missing, and
 * on a database an older version of the cache created, given the columns it lacks. Nothing is
 * ever dropped, renamed or retyped.
 */
public final class CacheSchema {

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

    private CacheSchema() {
    }

    public static void ensure(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(CREATE);
            for (String column : COLUMNS) {
                s.execute("ALTER TABLE bq_metadata_cache ADD COLUMN IF NOT EXISTS " + column);
            }
        }
    }
}
