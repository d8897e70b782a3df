package io.agnes.bqmc.db;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The few places where DuckDB and PostgreSQL speak differently, as SQL fragments: each table's
 * owner writes its statements once and asks the dialect for these. Timestamps: DuckDB keeps
 * naive UTC (contract section 3), PostgreSQL {@code timestamptz}; both are bound as text that
 * names its instant exactly, so neither the JVM's nor the server's time zone can shift it, and
 * both are read back as epoch microseconds.
 */
public enum Dialect {

    DUCKDB {
        @Override
        public String timestampType() {
            return "TIMESTAMP";
        }

        @Override
        public String jsonType() {
            return "JSON";
        }

        @Override
        public String timestampText(Instant instant) {
            return LocalDateTime.ofInstant(instant, ZoneOffset.UTC).format(NAIVE);
        }

        @Override
        public String epochMicros(String timestamp) {
            return "epoch_us(" + timestamp + ")";
        }

        @Override
        public String isoUtc(String timestamp) {
            return "strftime(" + timestamp + ", '%Y-%m-%dT%H:%M:%S.%f+00:00')";
        }

        /** Minified: other tools (the platform's Python) store lists with a space after each comma. */
        @Override
        public String jsonListText(String json) {
            return "CAST(json(" + json + ") AS VARCHAR)";
        }

        @Override
        public String jsonText(String json) {
            return "CAST(" + json + " AS VARCHAR)";
        }

        /** A hash of what the rows show: DuckDB hashes a column vector in a few nanoseconds a value. */
        @Override
        public String rowVersion(String registry, String cache, String shownColumns) {
            return "hash(" + shownColumns + ")";
        }
    },

    POSTGRESQL {
        @Override
        public String timestampType() {
            return "timestamptz";
        }

        @Override
        public String jsonType() {
            return "jsonb";
        }

        @Override
        public String timestampText(Instant instant) {
            return LocalDateTime.ofInstant(instant, ZoneOffset.UTC).format(NAIVE) + "+00";
        }

        @Override
        public String epochMicros(String timestamp) {
            return "CAST(floor(extract(epoch FROM " + timestamp + ") * 1000000) AS BIGINT)";
        }

        @Override
        public String isoUtc(String timestamp) {
            return "to_char(" + timestamp + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')";
        }

        /**
         * Compact like DuckDB's ({@code ["a","b"]}): jsonb writes a list of strings with
         * {@code ", "} between them, a sequence that cannot occur inside a string (its quotes are
         * escaped), so replacing it is exact and costs far less than rebuilding the array.
         */
        @Override
        public String jsonListText(String json) {
            return "replace(CAST(" + json + " AS text), '\", \"', '\",\"')";
        }

        @Override
        public String jsonText(String json) {
            return "CAST(" + json + " AS text)";
        }

        /**
         * The row versions PostgreSQL keeps anyway: every insert and update gives a row a new
         * {@code xmin}, so the pair of them changes whenever anything the row shows may have,
         * at a third of the cost of hashing the columns' text.
         */
        @Override
        public String rowVersion(String registry, String cache, String shownColumns) {
            return "(CAST(CAST(" + registry + ".xmin AS text) AS BIGINT) << 32) # coalesce(CAST(CAST(" + cache
                    + ".xmin AS text) AS BIGINT), 0)";
        }
    };

    private static final DateTimeFormatter NAIVE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    /** The dialect a JDBC URL speaks. */
    public static Dialect of(String jdbcUrl) {
        return jdbcUrl.startsWith("jdbc:postgresql:") ? POSTGRESQL : DUCKDB;
    }

    /** The column type of a point in time. */
    public abstract String timestampType();

    /** The column type of a JSON list. */
    public abstract String jsonType();

    /** A point in time as the text {@link #timestampParam()} casts. */
    public abstract String timestampText(Instant instant);

    /** An expression: a timestamp column as microseconds since the epoch (UTC), NULL for NULL. */
    public abstract String epochMicros(String timestamp);

    /** An expression: a timestamp column as ISO-8601 UTC text with microseconds and {@code +00:00}. */
    public abstract String isoUtc(String timestamp);

    /** An expression: a stored JSON list as compact JSON text, the same on both engines. */
    public abstract String jsonListText(String json);

    /** An expression: a stored JSON value as text, as cheaply as the engine can (for hashing, not for showing). */
    public abstract String jsonText(String json);

    /**
     * An expression over one joined registry and cache row: a 64-bit value that changes whenever
     * any of {@code shownColumns} (comma-separated) may have changed, for a fingerprint.
     */
    public abstract String rowVersion(String registry, String cache, String shownColumns);

    /** A parameter holding {@link #timestampText}. */
    public String timestampParam() {
        return "CAST(? AS " + timestampType() + ")";
    }

    /** A parameter holding JSON text. */
    public String jsonParam() {
        return "CAST(? AS " + jsonType() + ")";
    }

    /** Microseconds since the epoch, as {@link #epochMicros} reads them back. */
    public static Instant fromEpochMicros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000), Math.floorMod(micros, 1_000_000) * 1000L);
    }

    public static long epochMicros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000), instant.getNano() / 1000);
    }
}
