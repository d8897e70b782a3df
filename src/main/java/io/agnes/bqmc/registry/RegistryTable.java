package io.agnes.bqmc.registry;

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

/**
 * The platform's {@code table_registry}, as far as this service reads it: created only on an
 * empty database and never altered (an existing Agnes system database opens unchanged), and the
 * two reads of a refresh, parameterized for camel-jdbc.
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

    /** What a run needs to select and resolve its rows. */
    private static final Set<String> NEEDED_COLUMNS = new TreeSet<>(Set.of(
            "id", "name", "source_type", "bucket", "source_table", "query_mode", "bq_fqn", "registered_by"));

    private static final String COLUMNS = "id, name, source_type, bucket, source_table, bq_fqn, ("
            + IS_REMOTE_BIGQUERY + ") AS remote_bigquery";

    /** Every row a run refreshes, in id order. */
    public static final String SELECT_REMOTE_BIGQUERY = "SELECT " + COLUMNS + " FROM table_registry WHERE "
            + IS_REMOTE_BIGQUERY + " ORDER BY id";

    /** One row by id, for camel-jdbc with the id in the header {@link #ID_PARAMETER}. */
    public static final String SELECT_BY_ID = "SELECT " + COLUMNS + " FROM table_registry WHERE id = :?bqmc_table_id";

    public static final String ID_PARAMETER = "bqmc_table_id";

    private RegistryTable() {
    }

    /** Creates the table on an empty database; on an existing one, checks it has what we read. */
    public static void ensure(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(CREATE);
        }
        List<String> missing = missingColumns(c);
        if (!missing.isEmpty()) {
            throw new SQLException("table_registry lacks the column(s) " + String.join(", ", missing)
                    + " that bq-metadata-cache reads; this service does not alter the platform's table");
        }
    }

    private static List<String> missingColumns(Connection c) throws SQLException {
        Set<String> present = new TreeSet<>();
        DatabaseMetaData meta = c.getMetaData();
        try (ResultSet rs = meta.getColumns(null, null, "table_registry", null)) {
            while (rs.next()) {
                present.add(rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
            }
        }
        List<String> missing = new ArrayList<>();
        for (String needed : NEEDED_COLUMNS) {
            if (!present.contains(needed)) {
                missing.add(needed);
            }
        }
        return missing;
    }
}
