package io.agnes.bqmc.cache;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import java.util.List;


/**
 * The two writes of contract section 3, as parameterized statements: {@link #SUCCESS}
 * (table_id, rows, size_bytes, partition_by, clustered_by, entity_type, known_columns, now)
 * and {@link #FAILURE} (table_id, now, error_msg). {@link CacheWriter} runs them.
 */
public final class CacheWrites {

    /** Cut stored error messages to this many characters. */
    public static final int MAX_ERROR_LENGTH = 512;

    private static final String SUCCESS_INTO = """
            INSERT INTO bq_metadata_cache (table_id, "rows", size_bytes, partition_by, clustered_by,
                entity_type, known_columns, refreshed_at, error_at, error_msg)
            VALUES """;
    private static final String SUCCESS_ROW =
            "(?, ?, ?, ?, CAST(? AS JSON), ?, CAST(? AS JSON), CAST(? AS TIMESTAMP), NULL, NULL)";
    private static final String SUCCESS_ON_CONFLICT = """

            ON CONFLICT (table_id) DO UPDATE SET
                "rows" = excluded."rows", size_bytes = excluded.size_bytes,
                partition_by = excluded.partition_by, clustered_by = excluded.clustered_by,
                entity_type = excluded.entity_type, known_columns = excluded.known_columns,
                refreshed_at = excluded.refreshed_at, error_at = NULL, error_msg = NULL""";

    private static final String FAILURE_INTO = "INSERT INTO bq_metadata_cache (table_id, error_at, error_msg) VALUES ";
    private static final String FAILURE_ROW = "(?, CAST(? AS TIMESTAMP), ?)";
    /** A failure never touches the last good numbers: only the error columns move. */
    private static final String FAILURE_ON_CONFLICT = """

            ON CONFLICT (table_id) DO UPDATE SET
                error_at = excluded.error_at, error_msg = excluded.error_msg""";

    public static final String SUCCESS = success(1);
    public static final String FAILURE = failure(1);

    /**
     * The success write for {@code rows} tables in one statement: DuckDB runs one multi-row
     * statement about fifteen times faster per row than the same rows one statement each.
     * The rows must have distinct table ids.
     */
    public static String success(int rows) {
        return SUCCESS_INTO + String.join(", ", Collections.nCopies(rows, SUCCESS_ROW)) + SUCCESS_ON_CONFLICT;
    }

    /** The failure write for {@code rows} tables in one statement (distinct table ids). */
    public static String failure(int rows) {
        return FAILURE_INTO + String.join(", ", Collections.nCopies(rows, FAILURE_ROW)) + FAILURE_ON_CONFLICT;
    }

    /** Naive UTC timestamps, passed as text so that no JVM or database time zone shifts them. */
    private static final DateTimeFormatter NAIVE_UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    private CacheWrites() {
    }

    public static String nowUtc() {
        return LocalDateTime.now(ZoneOffset.UTC).format(NAIVE_UTC);
    }

    /** An instant as a naive UTC timestamp literal. */
    public static String naive(Instant instant) {
        return LocalDateTime.ofInstant(instant, ZoneOffset.UTC).format(NAIVE_UTC);
    }

    /** A stored naive UTC timestamp as read back with CAST(... AS VARCHAR); the fraction is optional. */
    public static Instant parseNaive(String stored) {
        if (stored == null) {
            return null;
        }
        return LocalDateTime.parse(stored.replace(' ', 'T')).toInstant(ZoneOffset.UTC);
    }

    /** Records the same failure for several tables in one transaction. */
    public static void recordFailures(Connection c, List<String> tableIds, String errorMsg) throws SQLException {
        if (tableIds.isEmpty()) {
            return;
        }
        String now = nowUtc();
        Transaction.run(c, tx -> {
            try (PreparedStatement ps = tx.prepareStatement(failure(tableIds.size()))) {
                int i = 0;
                for (String id : tableIds) {
                    i = bindFailure(ps, i, id, now, errorMsg);
                }
                return ps.executeUpdate();
            }
        });
    }

    /** Binds one row of {@link #failure} after position {@code i}; returns the last position used. */
    static int bindFailure(PreparedStatement ps, int i, String tableId, String now, String errorMsg)
            throws SQLException {
        ps.setString(++i, tableId);
        ps.setString(++i, now);
        ps.setString(++i, cut(errorMsg));
        return i;
    }

    public static String cut(String errorMsg) {
        if (errorMsg == null) {
            return null;
        }
        if (errorMsg.length() <= MAX_ERROR_LENGTH) {
            return errorMsg;
        }
        // never split a surrogate pair: a lone half is not valid text in the database
        int end = MAX_ERROR_LENGTH;
        if (Character.isHighSurrogate(errorMsg.charAt(end - 1))) {
            end--;
        }
        return errorMsg.substring(0, end);
    }

}
