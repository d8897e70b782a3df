package io.agnes.bqmc.cache;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agnes.bqmc.bigquery.TableMetadata;
import org.apache.camel.Message;

/**
 * The two writes of contract section 3, as parameterized statements for camel-jdbc
 * ({@code useHeadersAsParameters=true}, named {@code :?param} placeholders). The caller puts
 * {@link #SUCCESS} or {@link #FAILURE} in the body after {@link #successParameters} or
 * {@link #failureParameters} set the headers.
 */
public final class CacheWrites {

    /** Cut stored error messages to this many characters. */
    public static final int MAX_ERROR_LENGTH = 512;

    public static final String SUCCESS = """
            INSERT INTO bq_metadata_cache (table_id, "rows", size_bytes, partition_by, clustered_by,
                entity_type, known_columns, refreshed_at, error_at, error_msg)
            VALUES (:?bqmc_table_id, :?bqmc_rows, :?bqmc_size_bytes, :?bqmc_partition_by,
                CAST(:?bqmc_clustered_by AS JSON), :?bqmc_entity_type, CAST(:?bqmc_known_columns AS JSON),
                CAST(:?bqmc_now AS TIMESTAMP), NULL, NULL)
            ON CONFLICT (table_id) DO UPDATE SET
                "rows" = excluded."rows", size_bytes = excluded.size_bytes,
                partition_by = excluded.partition_by, clustered_by = excluded.clustered_by,
                entity_type = excluded.entity_type, known_columns = excluded.known_columns,
                refreshed_at = excluded.refreshed_at, error_at = NULL, error_msg = NULL""";

    /** A failure never touches the last good numbers: only the error columns move. */
    public static final String FAILURE = """
            INSERT INTO bq_metadata_cache (table_id, error_at, error_msg)
            VALUES (:?bqmc_table_id, CAST(:?bqmc_now AS TIMESTAMP), :?bqmc_error_msg)
            ON CONFLICT (table_id) DO UPDATE SET
                error_at = excluded.error_at, error_msg = excluded.error_msg""";

    /**
     * {@link #FAILURE} with positional parameters (table_id, now, error_msg), for the writes made
     * outside a route, with plain JDBC.
     */
    public static final String FAILURE_POSITIONAL = FAILURE.replaceAll(":\\?bqmc_\\w+", "?");

    /** Naive UTC timestamps, passed as text so that no JVM or database time zone shifts them. */
    private static final DateTimeFormatter NAIVE_UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    private static final ObjectMapper JSON = new ObjectMapper();

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

    public static void successParameters(Message m, String tableId, TableMetadata meta, String now) {
        m.setHeader("bqmc_table_id", tableId);
        m.setHeader("bqmc_rows", meta.rows());
        m.setHeader("bqmc_size_bytes", meta.sizeBytes());
        m.setHeader("bqmc_partition_by", meta.partitionBy());
        m.setHeader("bqmc_clustered_by", jsonArray(meta.clusteredBy()));
        m.setHeader("bqmc_entity_type", meta.entityType());
        m.setHeader("bqmc_known_columns", jsonArray(meta.knownColumns()));
        m.setHeader("bqmc_now", now);
    }

    public static void failureParameters(Message m, String tableId, String errorMsg, String now) {
        m.setHeader("bqmc_table_id", tableId);
        m.setHeader("bqmc_error_msg", cut(errorMsg));
        m.setHeader("bqmc_now", now);
    }

    /** Records the same failure for several tables in one transaction. */
    public static void recordFailures(Connection c, List<String> tableIds, String errorMsg) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement(FAILURE_POSITIONAL)) {
            String now = nowUtc();
            for (String id : tableIds) {
                ps.setString(1, id);
                ps.setString(2, now);
                ps.setString(3, cut(errorMsg));
                ps.executeUpdate();
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
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

    private static String jsonArray(List<String> values) {
        if (values == null) {
            return null;
        }
        try {
            return JSON.writeValueAsString(values);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a list of strings always serializes", e);
        }
    }
}
