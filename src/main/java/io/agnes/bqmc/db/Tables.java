package io.agnes.bqmc.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/** What the database says about a table's columns, and the error when a table we rely on is not as needed. */
public final class Tables {

    private Tables() {
    }

    /** The table's column names, lower case, in the connection's current schema; empty when there is no such table. */
    public static Set<String> columns(Connection c, String table) throws SQLException {
        Set<String> present = new TreeSet<>();
        try (ResultSet rs = c.getMetaData().getColumns(c.getCatalog(), c.getSchema(), table, null)) {
            while (rs.next()) {
                present.add(rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
            }
        }
        return present;
    }

    /**
     * A table the platform's migrations create: there, with every column we read or write.
     * The error says what is missing and how to create the tables for standalone use.
     */
    public static Set<String> requirePlatformTable(Connection c, String table, Collection<String> needed)
            throws SQLException {
        Set<String> present = columns(c, table);
        if (present.isEmpty()) {
            throw new SQLException("the platform table " + table + " does not exist in schema " + c.getSchema()
                    + ": the platform's migrations create it; for standalone use, create the platform tables with"
                    + " 'java -jar bq-metadata-cache.jar db init-platform'");
        }
        List<String> missing = new ArrayList<>();
        for (String column : needed) {
            if (!present.contains(column)) {
                missing.add(column);
            }
        }
        if (!missing.isEmpty()) {
            throw new SQLException(table + " lacks the column(s) " + String.join(", ", missing)
                    + " that bq-metadata-cache reads; this service does not alter the platform's tables");
        }
        return present;
    }
}
