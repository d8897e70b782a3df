package io.agnes.bqmc.registry;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * The registry file's upsert on DuckDB, at a fixed cost however many rows: they go through
 * DuckDB's appender into a temporary table of this connection, and one statement of constant
 * text upserts them from there. DuckDB parses and plans every statement it prepares, and a
 * multi-row {@code VALUES} of seven parameters a row cost it more to prepare than to run
 * (docs/RELIABILITY.md has the figures). Inside the caller's transaction, as
 * {@code cache.StagedDuckDbWrites} does for the cache.
 */
final class StagedRegistryUpserts {

    private static final String STAGE = "bqmc_registry_stage";

    private StagedRegistryUpserts() {
    }

    /** Upserts {@code rows} (distinct ids) as {@code owner}; {@code bqFqn}: whether the table has the column. */
    static void upsert(Connection tx, List<RegistryFileRow> rows, boolean bqFqn, String owner) throws SQLException {
        try (Statement s = tx.createStatement()) {
            s.execute("CREATE TEMP TABLE IF NOT EXISTS " + STAGE + " (id VARCHAR, name VARCHAR, source_type VARCHAR,"
                    + " bucket VARCHAR, source_table VARCHAR, query_mode VARCHAR, bq_fqn VARCHAR)");
        }
        try (DuckDBAppender stage = tx.unwrap(DuckDBConnection.class).createAppender("temp", "main", STAGE)) {
            for (RegistryFileRow row : rows) {
                stage.beginRow().append(row.id()).append(row.name()).append(row.sourceType()).append(row.bucket())
                        .append(row.sourceTable()).append(row.queryMode()).append(row.bqFqn()).endRow();
            }
        }
        try (PreparedStatement ps = tx.prepareStatement(RegistryFileImporter.upsert(bqFqn, "SELECT id, name, source_type,"
                + " bucket, source_table, query_mode, CAST(? AS VARCHAR)" + (bqFqn ? ", bq_fqn" : "") + " FROM " + STAGE))) {
            ps.setString(1, owner);
            ps.executeUpdate();
        }
        // empty for the next import on this connection; a rollback empties it too
        try (Statement s = tx.createStatement()) {
            s.execute("DELETE FROM " + STAGE);
        }
    }
}
