package io.agnes.bqmc.registry;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Set;

import io.agnes.bqmc.db.Dialect;
import io.agnes.bqmc.db.Tables;

/**
 * The platform's {@code table_registry}, as far as this service reads it, and the two reads of a
 * refresh, parameterized for camel-jdbc. On DuckDB it is created on an empty database and never
 * altered (an existing Agnes system database opens unchanged); on PostgreSQL the platform's
 * migrations own it and it must be there. Some platform versions lack {@code bq_fqn}: it is then
 * read as NULL, never added.
 */
public final class RegistryTable {

    /** Contract section 4: the rows a run refreshes. The one place this condition is written. */
    public static final String IS_REMOTE_BIGQUERY = "query_mode = 'remote' AND source_type = 'bigquery'";

    public static final String CREATE = """
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

    /** The header camel-jdbc binds as the id of {@link #selectById()}. */
    public static final String ID_PARAMETER = "bqmc_table_id";

    /** The headers camel-jdbc binds in {@link #selectRemotePage()}. */
    public static final String AFTER_PARAMETER = "bqmc_after_id";
    public static final String FIRST_PARAMETER = "bqmc_first_page";

    /** Registry rows per page of a run: memory stays one page whatever the estate. */
    public static final int PAGE = 5000;

    /** What a run needs to select and resolve its rows, and the registry file to write them. */
    private static final List<String> NEEDED = List.of(
            "id", "name", "source_type", "bucket", "source_table", "query_mode", "registered_by");

    private final boolean hasBqFqn;

    private RegistryTable(boolean hasBqFqn) {
        this.hasBqFqn = hasBqFqn;
    }

    /** Checks the table has what we read (creating it first on an empty DuckDB database). */
    public static RegistryTable ensure(Connection c, Dialect dialect) throws SQLException {
        createOnDuckDb(c, dialect);
        Set<String> present = Tables.requirePlatformTable(c, "table_registry", NEEDED);
        return new RegistryTable(present.contains("bq_fqn"));
    }

    /**
     * On DuckDB, the platform's table where there is none (an empty database, or one that
     * replaced the file under us); on PostgreSQL the platform's migrations own it.
     */
    public static void createOnDuckDb(Connection c, Dialect dialect) throws SQLException {
        if (dialect == Dialect.DUCKDB) {
            try (Statement s = c.createStatement()) {
                s.execute(CREATE);
            }
        }
    }

    /** Whether the table has the optional {@code bq_fqn} column. */
    public boolean hasBqFqn() {
        return hasBqFqn;
    }

    private String columns() {
        return "id, name, source_type, bucket, source_table, " + (hasBqFqn ? "bq_fqn" : "CAST(NULL AS VARCHAR) AS bq_fqn")
                + ", (" + IS_REMOTE_BIGQUERY + ") AS remote_bigquery";
    }

    /**
     * One page of the rows a run refreshes, in id order, for camel-jdbc: those after the id in the
     * header {@link #AFTER_PARAMETER} (every row from the first while {@link #FIRST_PARAMETER} is
     * true). Pages go by key, so rows added or removed meanwhile never shift them, and no
     * connection or cursor is held between pages (one held open for a run paced at BigQuery's
     * quota would outlive the server's timeouts).
     */
    public String selectRemotePage() {
        return "SELECT " + columns() + " FROM table_registry WHERE " + IS_REMOTE_BIGQUERY
                + " AND (id > :?" + AFTER_PARAMETER + " OR :?" + FIRST_PARAMETER + ") ORDER BY id LIMIT " + PAGE;
    }

    /** How many remote BigQuery rows there are: what a run takes on, as it starts. */
    public static final String COUNT_REMOTE = "SELECT count(*) FROM table_registry WHERE " + IS_REMOTE_BIGQUERY;

    /** Every row a run refreshes, for the index of the tables change events name. */
    public String selectRemote() {
        return "SELECT " + columns() + " FROM table_registry WHERE " + IS_REMOTE_BIGQUERY;
    }

    /** One row by id, for camel-jdbc with the id in the header {@link #ID_PARAMETER}. */
    public String selectById() {
        return "SELECT " + columns() + " FROM table_registry WHERE id = :?" + ID_PARAMETER;
    }
}
