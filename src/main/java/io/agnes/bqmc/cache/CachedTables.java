package io.agnes.bqmc.cache;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;

import java.util.List;

import javax.sql.DataSource;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.agnes.bqmc.db.Database;
import io.agnes.bqmc.db.Dialect;
import io.agnes.bqmc.registry.RegistryTable;

/**
 * Reads every remote BigQuery registry row with its cached metadata and freshness, in
 * {@code table_id} order, as {@link CachedTable}s; and a cheap fingerprint of the same, so a
 * reader can tell whether what it rendered last is still exact.
 */
public class CachedTables {

    /**
     * Timestamps are formatted in the query, vectorized: done per row in Java they were half the
     * cost of an answer (docs/BENCHMARKS.md, B4). The last two columns are for the verdict, judged
     * per answer ({@link Freshness#of}), and the row's version ({@link #FINGERPRINT}).
     */
    private static final String ROWS = """
            SELECT r.id, %s, c."rows", c.size_bytes, c.partition_by, %s, c.entity_type, %s, %s, c.error_msg,
                   %s, %s
            FROM table_registry r LEFT JOIN bq_metadata_cache c ON c.table_id = r.id
            WHERE %s ORDER BY r.id""";

    /** The count and a combination of the rows' versions, one scan: equal while no row shown changed. */
    private static final String FINGERPRINT = """
            SELECT count(*), bit_xor(%s)
            FROM table_registry r LEFT JOIN bq_metadata_cache c ON c.table_id = r.id
            WHERE %s""";

    /** How many tables have each verdict, judged as {@link #ROWS} judges them: one scan. */
    private static final String COUNTS = """
            SELECT count(*) FILTER (WHERE c.refreshed_at IS NULL AND c.error_at IS NULL),
                   count(*) FILTER (WHERE c.refreshed_at IS NULL AND c.error_at IS NOT NULL),
                   count(*) FILTER (WHERE %1$s),
                   count(*) FILTER (WHERE c.refreshed_at IS NOT NULL AND NOT (%1$s))
            FROM table_registry r LEFT JOIN bq_metadata_cache c ON c.table_id = r.id
            WHERE %2$s""";

    private static final JsonFactory JSON = new JsonFactory();

    /**
     * What the rows looked like at one moment: the same for the same rows, whatever time it is.
     *
     * @param count    how many tables there are
     * @param versions the rows' versions combined ({@link #combine})
     */
    public record Fingerprint(long count, long versions) {

        public static final Fingerprint EMPTY = new Fingerprint(0, 0);

        /** This fingerprint with one more row of {@code version}, as the database combines them. */
        public Fingerprint combine(long version) {
            return new Fingerprint(count + 1, versions ^ version);
        }
    }

    private final DataSource dataSource;
    private final Dialect dialect;
    private final Duration threshold;
    private final String rows;
    private final String fingerprint;
    private final String counts;

    /** @param threshold how old a successful refresh may be and still count as fresh */
    public CachedTables(Database database, Duration threshold) {
        this.dataSource = database;
        this.threshold = threshold;
        this.dialect = database.dialect();
        String freshSince = "c.refreshed_at >= " + dialect.timestampParam();
        String version = dialect.rowVersion("r", "c", "r.id, c.refreshed_at, c.\"rows\", c.size_bytes, c.partition_by, "
                + dialect.jsonText("c.clustered_by") + ", c.entity_type, " + dialect.jsonText("c.known_columns")
                + ", c.error_at, c.error_msg");
        this.rows = String.format(ROWS, dialect.isoUtc("c.refreshed_at"), dialect.jsonListText("c.clustered_by"),
                dialect.jsonListText("c.known_columns"), dialect.isoUtc("c.error_at"),
                dialect.epochMicros("c.refreshed_at"), version, RegistryTable.IS_REMOTE_BIGQUERY);
        this.fingerprint = String.format(FINGERPRINT, version, RegistryTable.IS_REMOTE_BIGQUERY);
        this.counts = String.format(COUNTS, freshSince, RegistryTable.IS_REMOTE_BIGQUERY);
    }

    /**
     * A run's progress as the shared cache shows it, for a replica that is not running it: the
     * remote tables written since {@code since}, by outcome (ok rows have a new
     * {@code refreshed_at}; no_data and error rows a new {@code error_at}, told apart by the
     * message a no_data row always has), and how many remote tables there are.
     */
    public record Progress(long ok, long noData, long error, long total) {
    }

    public Progress progressSince(Instant since) throws SQLException {
        String at = dialect.timestampParam();
        String sql = "SELECT count(*) FILTER (WHERE c.refreshed_at >= " + at + "),"
                + " count(*) FILTER (WHERE c.error_at >= " + at + " AND c.error_msg LIKE 'provider returned no data%'),"
                + " count(*) FILTER (WHERE c.error_at >= " + at + " AND c.error_msg NOT LIKE 'provider returned no data%'),"
                + " count(*) FROM table_registry r LEFT JOIN bq_metadata_cache c ON c.table_id = r.id WHERE "
                + RegistryTable.IS_REMOTE_BIGQUERY;
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 1; i <= 3; i++) {
                ps.setString(i, dialect.timestampText(since));
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Progress(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4));
            }
        }
    }

    /** How many remote tables have each verdict now (every verdict present, 0 where none). */
    public java.util.Map<Freshness, Long> countByFreshness(Instant now) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = prepare(c, counts, now)) {
            ps.setString(2, dialect.timestampText(now.minus(threshold))); // the fresh condition, twice
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                java.util.Map<Freshness, Long> out = new java.util.EnumMap<>(Freshness.class);
                out.put(Freshness.NEVER_FETCHED, rs.getLong(1));
                out.put(Freshness.ERROR, rs.getLong(2));
                out.put(Freshness.FRESH, rs.getLong(3));
                out.put(Freshness.STALE, rs.getLong(4));
                return out;
            }
        }
    }

    public Fingerprint fingerprint() throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(fingerprint);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            // bit_xor of no rows is NULL; DuckDB's 64-bit hashes are unsigned, read here as their bits
            return new Fingerprint(rs.getLong(1), rs.getLong(2));
        }
    }

    /**
     * Every row, in {@code table_id} order, fetched a few hundred at a time however many there
     * are (PostgreSQL's driver reads a whole result into memory unless it runs in a transaction
     * with a fetch size); the caller reads at its own pace and closes it.
     *
     * @param now the moment the rows' verdicts are judged at
     */
    public Cursor open(Instant now) throws SQLException {
        Connection c = dataSource.getConnection();
        try {
            c.setAutoCommit(false);
            PreparedStatement ps = c.prepareStatement(rows);
            ps.setFetchSize(FETCH_ROWS);
            return new Cursor(c, ps, ps.executeQuery(), freshSince(now));
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** The moment, in epoch microseconds, a successful refresh must be at or after to be fresh at {@code now}. */
    public long freshSince(Instant now) {
        Instant since = now.minus(threshold);
        return Math.addExact(Math.multiplyExact(since.getEpochSecond(), 1_000_000L), since.getNano() / 1_000);
    }

    /** Rows fetched from the database per round trip while a cursor is read. */
    static final int FETCH_ROWS = 500;

    /** An open read of the rows: one connection, held until closed. */
    public static final class Cursor implements AutoCloseable {
        private final Connection connection;
        private final PreparedStatement statement;
        private final ResultSet rs;
        private final long freshSince;

        private Cursor(Connection connection, PreparedStatement statement, ResultSet rs, long freshSince) {
            this.connection = connection;
            this.statement = statement;
            this.rs = rs;
            this.freshSince = freshSince;
        }

        /** Whether there is a next row; if so, it is the current one. */
        public boolean next() throws SQLException {
            return rs.next();
        }

        /** The current row's version: it changes whenever anything the row shows may have. */
        public long version() throws SQLException {
            return rs.getLong(12);
        }

        public String tableId() throws SQLException {
            return rs.getString(1);
        }

        /** The current row's last successful refresh in epoch microseconds, or {@link Freshness#NEVER}. */
        public long refreshedMicros() throws SQLException {
            long micros = rs.getLong(11);
            return rs.wasNull() ? Freshness.NEVER : micros;
        }

        /** Whether the current row's last refresh failed. */
        public boolean failed() throws SQLException {
            return rs.getString(9) != null;
        }

        /** The current row, with its verdict at the cursor's moment. */
        public CachedTable table() throws SQLException, IOException {
            return new CachedTable(rs.getString(1), rs.getString(2), nullableLong(rs, 3), nullableLong(rs, 4),
                    rs.getString(5), jsonList(rs.getString(6)), rs.getString(7), jsonList(rs.getString(8)),
                    rs.getString(9), rs.getString(10), Freshness.of(refreshedMicros(), failed(), freshSince));
        }

        @Override
        public void close() throws SQLException {
            try (connection; statement; rs) {
                // a read-only transaction: nothing to keep
                connection.rollback();
            }
        }
    }

    /** Which of {@code ids} are remote BigQuery rows of the registry. */
    public java.util.Set<String> existing(java.util.Collection<String> ids) throws SQLException {
        java.util.Set<String> found = new java.util.HashSet<>();
        selectIn(ids, "SELECT r.id FROM table_registry r WHERE " + RegistryTable.IS_REMOTE_BIGQUERY + " AND r.id",
                rs -> found.add(rs.getString(1)));
        return found;
    }

    /**
     * For each of {@code ids} with cached numbers, when the lookup that got them was written:
     * whether a change is already covered by a newer lookup (the change events).
     */
    public java.util.Map<String, Instant> refreshedAt(java.util.Collection<String> ids) throws SQLException {
        java.util.Map<String, Instant> found = new java.util.HashMap<>();
        selectIn(ids, "SELECT table_id, " + dialect.epochMicros("refreshed_at")
                        + " FROM bq_metadata_cache WHERE refreshed_at IS NOT NULL AND table_id",
                rs -> found.put(rs.getString(1), Dialect.fromEpochMicros(rs.getLong(2))));
        return found;
    }

    /** A row of {@link #selectIn}. */
    private interface RowReader {
        void read(ResultSet rs) throws SQLException;
    }

    /** {@code select} (ending in the id column) {@code IN} the ids, in batches any engine takes, as the cache writes are. */
    private void selectIn(java.util.Collection<String> ids, String select, RowReader reader) throws SQLException {
        List<String> all = List.copyOf(ids);
        try (Connection c = dataSource.getConnection()) {
            for (int from = 0; from < all.size(); from += CacheUpserts.ROWS_PER_STATEMENT) {
                List<String> batch = all.subList(from, Math.min(all.size(), from + CacheUpserts.ROWS_PER_STATEMENT));
                String marks = String.join(", ", java.util.Collections.nCopies(batch.size(), "?"));
                try (PreparedStatement ps = c.prepareStatement(select + " IN (" + marks + ")")) {
                    for (int i = 0; i < batch.size(); i++) {
                        ps.setString(i + 1, batch.get(i));
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            reader.read(rs);
                        }
                    }
                }
            }
        }
    }

    private PreparedStatement prepare(Connection c, String sql, Instant now) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        ps.setString(1, dialect.timestampText(now.minus(threshold)));
        return ps;
    }

    private static Long nullableLong(ResultSet rs, int column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }

    /**
     * A stored JSON list as a JSON array of strings, whoever wrote it: NULL is {@code []}; a flat
     * array of strings is kept as it is; anything else (another tool's {@code [1, 2]},
     * {@code [["x"], null]}, a bare string) keeps its top-level strings, numbers and booleans as
     * strings and drops nulls, arrays and objects: the contract promises strings.
     */
    static String jsonList(String stored) throws IOException {
        if (stored == null) {
            return "[]";
        }
        if (isFlatStringArray(stored)) {
            return stored;
        }
        java.io.StringWriter out = new java.io.StringWriter();
        try (JsonGenerator json = JSON.createGenerator(out); JsonParser parser = JSON.createParser(stored)) {
            json.writeStartArray();
            JsonToken first = parser.nextToken();
            if (first == JsonToken.START_ARRAY) {
                for (JsonToken t = parser.nextToken(); t != null && t != JsonToken.END_ARRAY; t = parser.nextToken()) {
                    if (t == JsonToken.START_ARRAY || t == JsonToken.START_OBJECT) {
                        parser.skipChildren();
                    } else if (t.isScalarValue() && t != JsonToken.VALUE_NULL) {
                        json.writeString(parser.getText());
                    }
                }
            } else if (first != null && first.isScalarValue() && first != JsonToken.VALUE_NULL) {
                json.writeString(parser.getText());
            }
            json.writeEndArray();
        }
        return out.toString();
    }

    /** {@code ["a", "b"]} and nothing else: checked in one pass without building anything. */
    private static boolean isFlatStringArray(String stored) throws IOException {
        try (JsonParser parser = JSON.createParser(stored)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                return false;
            }
            for (JsonToken t = parser.nextToken(); t != null; t = parser.nextToken()) {
                if (t == JsonToken.END_ARRAY) {
                    return parser.nextToken() == null;
                }
                if (t != JsonToken.VALUE_STRING) {
                    return false;
                }
            }
            return false;
        }
    }
}
