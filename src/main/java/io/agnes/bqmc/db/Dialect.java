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

        @Override
        public String rowHash(String row) {
            return "hash(" + row + ")";
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

        /** Compact like DuckDB's ({@code ["a","b"]}); jsonb's own text has a space after each comma. */
        @Override
        public String jsonListText(String json) {
            return "CASE jsonb_typeof(" + json + ") WHEN 'array' THEN CAST(array_to_json(ARRAY("
                    + "SELECT jsonb_array_elements_text(" + json + "))) AS text) ELSE CAST(" + json + " AS text) END";
        }

        @Override
        public String jsonText(String json) {
            return "CAST(" + json + " AS text)";
        }

        @Override
        public String rowHash(String row) {
            return "hashtextextended(CAST(ROW(" + row + ") AS text), 0)";
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

    /** An expression: a 64-bit hash of the comma-separated expressions {@code row}. */
    public abstract String rowHash(String row);

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
