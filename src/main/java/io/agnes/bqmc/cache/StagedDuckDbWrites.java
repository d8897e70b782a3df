package io.agnes.bqmc.cache;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;

import io.agnes.bqmc.bigquery.TableMetadata;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * The two writes of contract section 3 on DuckDB, for a batch of any size at a fixed cost: the
 * rows go through DuckDB's appender into a temporary table of this connection, and two
 * statements of constant text upsert them from there. DuckDB parses and plans a statement
 * anew every time it is prepared; a multi-row {@code VALUES} statement with eight parameters a
 * row cost more to prepare than to run, and a run's writer spent about as much CPU as its 32
 * lookup threads together (docs/BENCHMARKS.md, B10). Everything happens in the caller's transaction: a rollback also
 * takes back the staged rows (and the temporary table, if this transaction created it).
 */
final class StagedDuckDbWrites {

    private static final String STAGE = "bqmc_cache_stage";

    private static final String CREATE_STAGE = "CREATE TEMP TABLE IF NOT EXISTS " + STAGE + """
             (
                ok BOOLEAN, table_id VARCHAR, "rows" BIGINT, size_bytes BIGINT, partition_by VARCHAR,
                clustered_by VARCHAR, entity_type VARCHAR, known_columns VARCHAR, error_msg VARCHAR
            )""";

    // what a success sets and a failure moves: CacheUpserts' ON CONFLICT clauses, the same on both paths
    private static final String UPSERT_SUCCESSES = """
            INSERT INTO bq_metadata_cache (table_id, "rows", size_bytes, partition_by, clustered_by,
                entity_type, known_columns, refreshed_at, error_at, error_msg)
            SELECT table_id, "rows", size_bytes, partition_by, CAST(clustered_by AS JSON), entity_type,
                CAST(known_columns AS JSON), CAST(? AS TIMESTAMP), NULL, NULL
            FROM\s""" + STAGE + " WHERE ok" + CacheUpserts.SUCCESS_ON_CONFLICT;

    private static final String UPSERT_FAILURES = """
            INSERT INTO bq_metadata_cache (table_id, error_at, error_msg)
            SELECT table_id, CAST(? AS TIMESTAMP), error_msg FROM\s""" + STAGE + " WHERE NOT ok"
            + CacheUpserts.FAILURE_ON_CONFLICT;

    private StagedDuckDbWrites() {
    }

    /** Writes one row per entry (their table ids distinct) inside the transaction {@code tx} holds. */
    static void write(Connection tx, Collection<CacheEntry> entries, String at) throws SQLException {
        try (Statement s = tx.createStatement()) {
            s.execute(CREATE_STAGE);
        }
        boolean anySuccess = false;
        boolean anyFailure = false;
        try (DuckDBAppender stage = tx.unwrap(DuckDBConnection.class).createAppender("temp", "main", STAGE)) {
            for (CacheEntry e : entries) {
                TableMetadata m = e.metadata();
                stage.beginRow()
                        .append(e.isSuccess())
                        .append(e.tableId())
                        .append(m == null ? null : m.rows())
                        .append(m == null ? null : m.sizeBytes())
                        .append(m == null ? null : m.partitionBy())
                        .append(m == null ? null : CacheUpserts.json(m.clusteredBy()))
                        .append(m == null ? null : m.entityType())
                        .append(m == null ? null : CacheUpserts.json(m.knownColumns()))
                        .append(e.isSuccess() ? null : CacheUpserts.cut(e.error()))
                        .endRow();
                anySuccess |= e.isSuccess();
                anyFailure |= !e.isSuccess();
            }
        }
        if (anySuccess) {
            upsert(tx, UPSERT_SUCCESSES, at);
        }
        if (anyFailure) {
            upsert(tx, UPSERT_FAILURES, at);
        }
        // empty for the next batch on this connection; a rollback empties it too
        try (Statement s = tx.createStatement()) {
            s.execute("DELETE FROM " + STAGE);
        }
    }

    private static void upsert(Connection tx, String sql, String at) throws SQLException {
        try (PreparedStatement ps = tx.prepareStatement(sql)) {
            ps.setString(1, at);
            ps.executeUpdate();
        }
    }
}
