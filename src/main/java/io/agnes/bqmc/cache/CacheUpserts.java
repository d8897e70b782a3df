package io.agnes.bqmc.cache;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agnes.bqmc.bigquery.TableMetadata;
import io.agnes.bqmc.db.Dialect;
import io.agnes.bqmc.registry.RegistryTable;
import io.agnes.bqmc.db.Fence;
import io.agnes.bqmc.db.Transaction;

/**
 * The two writes of contract section 3, parameterized, in one transaction: a success sets every
 * data column and clears the error; a failure inserts a row of NULLs if there is none, else moves
 * only {@code error_at} and {@code error_msg}, so the last good numbers stay. PostgreSQL gets
 * them as multi-row statements (its jsonb and timestamptz columns through the {@link Dialect}'s
 * casts); DuckDB, which plans a statement anew at every prepare, gets the rows staged through its
 * appender ({@link StagedDuckDbWrites}).
 */
public final class CacheUpserts {

    /** Stored error messages are cut to this many characters. */
    public static final int MAX_ERROR_LENGTH = 512;

    private static final String SUCCESS_INTO = """
            INSERT INTO bq_metadata_cache (table_id, "rows", size_bytes, partition_by, clustered_by,
                entity_type, known_columns, refreshed_at, error_at, error_msg)
            VALUES """;
    private static final String SUCCESS_ROW = "(?, ?, ?, ?, %1$s, ?, %1$s, %2$s, NULL, NULL)";
    static final String SUCCESS_ON_CONFLICT = """

            ON CONFLICT (table_id) DO UPDATE SET
                "rows" = excluded."rows", size_bytes = excluded.size_bytes,
                partition_by = excluded.partition_by, clustered_by = excluded.clustered_by,
                entity_type = excluded.entity_type, known_columns = excluded.known_columns,
                refreshed_at = excluded.refreshed_at, error_at = NULL, error_msg = NULL""";

    private static final String FAILURE_INTO = "INSERT INTO bq_metadata_cache (table_id, error_at, error_msg) VALUES ";
    private static final String FAILURE_ROW = "(?, %2$s, ?)";
    static final String FAILURE_ON_CONFLICT = """

            ON CONFLICT (table_id) DO UPDATE SET
                error_at = excluded.error_at, error_msg = excluded.error_msg""";

    private static final ObjectMapper JSON = new ObjectMapper();

    private CacheUpserts() {
    }

    /**
     * Writes the entries in one transaction, all or none, once the fence let it. One row per
     * table: when a table comes twice (a run and a single refresh queued it together), the later
     * entry wins, since one statement cannot upsert a row twice.
     */
    public static void write(Connection c, Dialect dialect, Collection<CacheEntry> entries, Instant now, Fence fence)
            throws SQLException {
        Map<String, CacheEntry> latest = new LinkedHashMap<>();
        entries.forEach(e -> latest.put(e.tableId(), e));
        String at = dialect.timestampText(now);
        Transaction.run(c, tx -> {
            fence.check(tx);
            if (dialect == Dialect.DUCKDB) {
                StagedDuckDbWrites.write(tx, latest.values(), at);
            } else {
                writeAsStatements(tx, dialect, latest.values(), at);
            }
            return null;
        });
    }

    /**
     * At a stop: every remote BigQuery table of the registry that the run in flight has not
     * written since {@code runStartedAt} gets the failure {@code error} (the last good numbers
     * stay), in one set-based statement with no parameter per table, whatever the estate.
     *
     * @return how many tables were recorded
     */
    public static int recordUnfinishedRun(Connection c, Dialect dialect, Instant runStartedAt, Instant now,
                                          String error) throws SQLException {
        String since = dialect.timestampParam();
        String sql = "INSERT INTO bq_metadata_cache (table_id, error_at, error_msg)"
                + " SELECT r.id, " + dialect.timestampParam() + ", ? FROM table_registry r"
                + " LEFT JOIN bq_metadata_cache c ON c.table_id = r.id"
                + " WHERE " + RegistryTable.IS_REMOTE_BIGQUERY
                + " AND (c.refreshed_at IS NULL OR c.refreshed_at < " + since + ")"
                + " AND (c.error_at IS NULL OR c.error_at < " + since + ")"
                + FAILURE_ON_CONFLICT;
        return Transaction.run(c, tx -> {
            try (PreparedStatement ps = tx.prepareStatement(sql)) {
                String started = dialect.timestampText(runStartedAt);
                ps.setString(1, dialect.timestampText(now));
                ps.setString(2, cut(error));
                ps.setString(3, started);
                ps.setString(4, started);
                return ps.executeUpdate();
            }
        });
    }

    /**
     * Rows per multi-row statement: PostgreSQL takes at most 65,535 parameters a statement, and a
     * success has eight (a stop's 50,000 interrupted tables had gone out as one statement).
     */
    static final int ROWS_PER_STATEMENT = 1000;

    /** Multi-row statements for the successes and for the failures, {@link #ROWS_PER_STATEMENT} rows each. */
    private static void writeAsStatements(Connection tx, Dialect dialect, Collection<CacheEntry> entries, String at)
            throws SQLException {
        List<CacheEntry> all = List.copyOf(entries);
        for (int from = 0; from < all.size(); from += ROWS_PER_STATEMENT) {
            writeStatements(tx, dialect, all.subList(from, Math.min(all.size(), from + ROWS_PER_STATEMENT)), at);
        }
    }

    private static void writeStatements(Connection tx, Dialect dialect, List<CacheEntry> entries, String at)
            throws SQLException {
        List<CacheEntry> successes = new ArrayList<>();
        List<CacheEntry> failures = new ArrayList<>();
        for (CacheEntry e : entries) {
            (e.isSuccess() ? successes : failures).add(e);
        }
        if (!successes.isEmpty()) {
            try (PreparedStatement ps = tx.prepareStatement(statement(dialect, SUCCESS_INTO, SUCCESS_ROW,
                    SUCCESS_ON_CONFLICT, successes.size()))) {
                int i = 0;
                for (CacheEntry e : successes) {
                    i = bindSuccess(ps, i, e.tableId(), e.metadata(), at);
                }
                ps.executeUpdate();
            }
        }
        if (!failures.isEmpty()) {
            try (PreparedStatement ps = tx.prepareStatement(statement(dialect, FAILURE_INTO, FAILURE_ROW,
                    FAILURE_ON_CONFLICT, failures.size()))) {
                int i = 0;
                for (CacheEntry e : failures) {
                    ps.setString(++i, e.tableId());
                    ps.setString(++i, at);
                    ps.setString(++i, cut(e.error()));
                }
                ps.executeUpdate();
            }
        }
    }

    private static String statement(Dialect dialect, String into, String row, String onConflict, int rows) {
        String values = String.format(row, dialect.jsonParam(), dialect.timestampParam());
        return into + String.join(", ", Collections.nCopies(rows, values)) + onConflict;
    }

    /** Binds one row's eight parameters after position {@code i}; returns the last position used. */
    private static int bindSuccess(PreparedStatement ps, int i, String tableId, TableMetadata m, String at)
            throws SQLException {
        ps.setString(++i, tableId);
        ps.setObject(++i, m.rows());
        ps.setObject(++i, m.sizeBytes());
        ps.setString(++i, m.partitionBy());
        ps.setString(++i, json(m.clusteredBy()));
        ps.setString(++i, m.entityType());
        ps.setString(++i, json(m.knownColumns()));
        ps.setString(++i, at);
        return i;
    }

    static String json(List<String> values) {
        try {
            return JSON.writeValueAsString(values);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a list of strings always serializes", e);
        }
    }

    /** Cut to {@link #MAX_ERROR_LENGTH}, never splitting a surrogate pair (a lone half is not valid text). */
    static String cut(String errorMsg) {
        if (errorMsg == null || errorMsg.length() <= MAX_ERROR_LENGTH) {
            return errorMsg;
        }
        int end = MAX_ERROR_LENGTH;
        if (Character.isHighSurrogate(errorMsg.charAt(end - 1))) {
            end--;
        }
        return errorMsg.substring(0, end);
    }
}
