package io.agnes.bqmc.cache;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import javax.sql.DataSource;

import io.agnes.bqmc.observe.RunHistory;

/**
 * Creates what this service needs and is missing, and nothing else: an existing Agnes system
 * database opens unchanged. The platform's {@code table_registry} is only created on an empty
 * database and never altered; {@code bq_metadata_cache} is ours and may gain missing columns.
 */
public final class CacheSchema {

    public static final String CREATE_REGISTRY = """
            CREATE TABLE IF NOT EXISTS table_registry (
                id VARCHAR PRIMARY KEY,
                name VARCHAR NOT NULL,
                source_type VARCHAR,
                bucket VARCHAR,
                source_table VARCHAR,
                query_mode VARCHAR DEFAULT 'local',
                bq_fqn VARCHAR,
                registered_by VARCHAR,
                registered_at TIMESTAMP DEFAULT current_timestamp
            )""";

    public static final String CREATE_CACHE = """
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

    /** Columns of our own table, for databases created by an older version of the cache. */
    static final List<String> CACHE_COLUMNS = List.of(
            "\"rows\" BIGINT", "size_bytes BIGINT", "partition_by VARCHAR", "clustered_by JSON",
            "entity_type VARCHAR", "known_columns JSON", "refreshed_at TIMESTAMP",
            "error_at TIMESTAMP", "error_msg VARCHAR");

    /** What the registry must offer for a run to select and resolve its rows. */
    static final Set<String> REGISTRY_COLUMNS = Set.of(
            "id", "name", "source_type", "bucket", "source_table", "query_mode", "bq_fqn", "registered_by");

    private CacheSchema() {
    }

    public static void ensure(DataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(CREATE_REGISTRY);
            s.execute(CREATE_CACHE);
            for (String column : CACHE_COLUMNS) {
                s.execute("ALTER TABLE bq_metadata_cache ADD COLUMN IF NOT EXISTS " + column);
            }
            RunHistory.createTable(c);
            List<String> missing = missingRegistryColumns(c);
            if (!missing.isEmpty()) {
                throw new SQLException("table_registry lacks the column(s) " + String.join(", ", missing)
                        + " that bq-metadata-cache reads; this service does not alter the platform's table");
            }
        }
    }

    private static List<String> missingRegistryColumns(Connection c) throws SQLException {
        Set<String> present = new TreeSet<>();
        DatabaseMetaData meta = c.getMetaData();
        try (ResultSet rs = meta.getColumns(null, null, "table_registry", null)) {
            while (rs.next()) {
                present.add(rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
            }
        }
        List<String> missing = new ArrayList<>();
        for (String needed : new TreeSet<>(REGISTRY_COLUMNS)) {
            if (!present.contains(needed)) {
                missing.add(needed);
            }
        }
        return missing;
    }
}
