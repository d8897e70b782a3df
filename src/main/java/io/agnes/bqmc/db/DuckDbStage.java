package io.agnes.bqmc.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * Rows written to DuckDB at a fixed cost however many there are: through DuckDB's appender into a
 * temporary table of the connection, then statements of constant text that take them from there.
 * DuckDB parses and plans every statement it prepares, and a multi-row {@code VALUES} statement
 * with a parameter per column cost it more to prepare than to run (docs/BENCHMARKS.md, B10). All in
 * the caller's transaction: a rollback also takes back the staged rows (and the temporary table, if
 * this transaction created it). The cache's writes and the registry file's import both go this way.
 */
public final class DuckDbStage {

    /** Appends the rows, one {@code beginRow()...endRow()} each, in the stage's column order. */
    @FunctionalInterface
    public interface Rows {
        void appendTo(DuckDBAppender stage) throws SQLException;
    }

    private DuckDbStage() {
    }

    /**
     * Stages the rows in {@code table} (created on this connection when missing, {@code columns}
     * its column definitions), runs each of {@code statements} with {@code parameter} as its one
     * parameter, and empties the stage for the next batch on this connection.
     */
    public static void write(Connection tx, String table, String columns, Rows rows, String parameter,
                             List<String> statements) throws SQLException {
        try (Statement s = tx.createStatement()) {
            s.execute("CREATE TEMP TABLE IF NOT EXISTS " + table + " (" + columns + ")");
        }
        try (DuckDBAppender stage = tx.unwrap(DuckDBConnection.class).createAppender("temp", "main", table)) {
            rows.appendTo(stage);
        }
        for (String sql : statements) {
            try (PreparedStatement ps = tx.prepareStatement(sql)) {
                ps.setString(1, parameter);
                ps.executeUpdate();
            }
        }
        // a rollback empties it too
        try (Statement s = tx.createStatement()) {
            s.execute("DELETE FROM " + table);
        }
    }
}
