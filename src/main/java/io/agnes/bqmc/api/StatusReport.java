package io.agnes.bqmc.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

import javax.sql.DataSource;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.agnes.bqmc.cache.CacheWrites;
import io.agnes.bqmc.config.Settings;
import io.agnes.bqmc.observe.RunHistory;
import io.agnes.bqmc.refresh.RunInfo;

/**
 * The body of {@code GET /api/v2/metadata-cache/status} (contract section 7): every remote
 * BigQuery registry row with its cached metadata and freshness, ordered by id. Written
 * straight from the result set with a streaming JSON generator, so 64-bit counts stay exact
 * and no per-row objects are built.
 */
public class StatusReport {

    /**
     * Timestamps are formatted and freshness is judged in the query, vectorized: done per row in
     * Java they were half the cost of an answer (docs/BENCHMARKS.md, B4). Parameters: now (naive
     * UTC) and the threshold in seconds. Freshness per contract section 7: fresh while the last
     * successful refresh is at most the threshold old; without one, error if an error was
     * recorded, else never_fetched.
     */
    static final String QUERY = """
            SELECT r.id,
                   strftime(c.refreshed_at, '%Y-%m-%dT%H:%M:%S.%f+00:00'),
                   c."rows", c.size_bytes, c.partition_by,
                   CAST(c.clustered_by AS VARCHAR), c.entity_type, CAST(c.known_columns AS VARCHAR),
                   strftime(c.error_at, '%Y-%m-%dT%H:%M:%S.%f+00:00'), c.error_msg,
                   CASE
                       WHEN c.refreshed_at IS NULL AND c.error_at IS NULL THEN 'never_fetched'
                       WHEN c.refreshed_at IS NULL THEN 'error'
                       WHEN c.refreshed_at >= CAST(? AS TIMESTAMP) - to_seconds(CAST(? AS BIGINT)) THEN 'fresh'
                       ELSE 'stale'
                   END
            FROM table_registry r LEFT JOIN bq_metadata_cache c ON c.table_id = r.id
            WHERE r.query_mode = 'remote' AND r.source_type = 'bigquery'
            ORDER BY r.id""";

    /**
     * A fingerprint of everything the tables array shows, and the moment the next fresh table
     * turns stale: cheap to compute (one vectorized scan), so each answer can tell whether the
     * array it rendered last is still exact. Parameters as for {@link #QUERY}.
     */
    static final String FINGERPRINT = """
            SELECT count(*),
                   bit_xor(hash(r.id, c.refreshed_at, c."rows", c.size_bytes, c.partition_by,
                       CAST(c.clustered_by AS VARCHAR), c.entity_type, CAST(c.known_columns AS VARCHAR),
                       c.error_at, c.error_msg)),
                   CAST(min(c.refreshed_at) FILTER (
                       WHERE c.refreshed_at >= CAST(? AS TIMESTAMP) - to_seconds(CAST(? AS BIGINT))) AS VARCHAR)
            FROM table_registry r LEFT JOIN bq_metadata_cache c ON c.table_id = r.id
            WHERE r.query_mode = 'remote' AND r.source_type = 'bigquery'""";

    private static final JsonFactory JSON = new JsonFactory();

    /** The last rendered tables array, valid while its fingerprint holds and until {@code validUntil}. */
    private record Rendered(String fingerprint, Instant validUntil, byte[] tables) {
    }

    private volatile Rendered rendered;

    /** How many runs {@code last_runs} shows, newest first. */
    static final int LAST_RUNS = 10;

    private final DataSource dataSource;
    private final RunHistory history;
    private final long intervalSeconds;
    private final Duration threshold;
    private final Clock clock;

    public StatusReport(DataSource dataSource, RunHistory history, Settings settings, Clock clock) {
        this.dataSource = dataSource;
        this.history = history;
        this.intervalSeconds = settings.refreshIntervalSeconds();
        this.threshold = Duration.ofSeconds(settings.freshThresholdSeconds());
        this.clock = clock;
    }

    public byte[] render() throws SQLException, IOException {
        Instant now = clock.instant();
        byte[] tables;
        List<RunHistory.Run> runs = history.newest(LAST_RUNS);
        try (Connection c = dataSource.getConnection()) {
            tables = tables(c, now);
        }
        // the head (numbers and a timestamp, nothing to escape) is written fresh each time and
        // the tables array, often the one rendered before, is spliced in as it is
        ByteArrayOutputStream out = new ByteArrayOutputStream(tables.length + 4096);
        out.write(("{\"scheduler_interval_seconds\":" + intervalSeconds
                + ",\"fresh_threshold_seconds\":" + threshold.toSeconds()
                + ",\"server_time\":\"" + iso(now) + "\",\"tables\":").getBytes(StandardCharsets.US_ASCII));
        out.write(tables);
        // an addition to the contract's fields: the newest runs, for "when did this last run?"
        out.write(",\"last_runs\":".getBytes(StandardCharsets.US_ASCII));
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartArray();
            for (RunHistory.Run run : runs) {
                writeRun(json, run);
            }
            json.writeEndArray();
        }
        out.write('}');
        return out.toByteArray();
    }

    /**
     * The tables array: rendered again only when what it shows changed (any write, from this
     * service or anyone else) or a table's freshness turns; otherwise the last rendering. With
     * 10,000 tables rendering is ~40 ms of CPU, the fingerprint a few (docs/BENCHMARKS.md, B4).
     */
    private byte[] tables(Connection c, Instant now) throws SQLException, IOException {
        String fingerprint;
        Instant validUntil;
        try (PreparedStatement ps = prepare(c, FINGERPRINT, now); ResultSet rs = ps.executeQuery()) {
            rs.next();
            fingerprint = rs.getLong(1) + ":" + rs.getString(2);
            Instant nextToTurnStale = CacheWrites.parseNaive(rs.getString(3));
            validUntil = nextToTurnStale == null ? Instant.MAX : nextToTurnStale.plus(threshold);
        }
        Rendered last = rendered;
        if (last != null && last.fingerprint().equals(fingerprint) && now.isBefore(last.validUntil())) {
            return last.tables();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        try (JsonGenerator json = JSON.createGenerator(out);
             PreparedStatement ps = prepare(c, QUERY, now);
             ResultSet rs = ps.executeQuery()) {
            json.writeStartArray();
            while (rs.next()) {
                writeTable(json, rs);
            }
            json.writeEndArray();
        }
        byte[] tables = out.toByteArray();
        rendered = new Rendered(fingerprint, validUntil, tables);
        return tables;
    }

    private PreparedStatement prepare(Connection c, String sql, Instant now) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        ps.setString(1, CacheWrites.naive(now));
        ps.setLong(2, threshold.toSeconds());
        return ps;
    }

    private static void writeTable(JsonGenerator json, ResultSet rs) throws SQLException, IOException {
        json.writeStartObject();
        json.writeStringField("table_id", rs.getString(1));
        json.writeStringField("refreshed_at", rs.getString(2));
        writeLong(json, "rows", rs, 3);
        writeLong(json, "size_bytes", rs, 4);
        json.writeStringField("partition_by", rs.getString(5));
        writeList(json, "clustered_by", rs.getString(6));
        json.writeStringField("entity_type", rs.getString(7));
        writeList(json, "known_columns", rs.getString(8));
        json.writeStringField("error_at", rs.getString(9));
        json.writeStringField("error_msg", rs.getString(10));
        json.writeStringField("freshness", rs.getString(11));
        json.writeEndObject();
    }

    private static void writeRun(JsonGenerator json, RunHistory.Run run) throws IOException {
        json.writeStartObject();
        json.writeStringField("run_id", run.runId());
        json.writeStringField("started_at", iso(run.startedAt()));
        json.writeStringField("finished_at", iso(run.finishedAt()));
        json.writeStringField("trigger", run.trigger());
        json.writeNumberField("total", run.total());
        json.writeNumberField("succeeded", run.succeeded());
        json.writeNumberField("no_data", run.noData());
        json.writeNumberField("failed", run.failed());
        json.writeNumberField("duration_ms", run.durationMs());
        json.writeEndObject();
    }

    private static void writeLong(JsonGenerator json, String name, ResultSet rs, int column)
            throws SQLException, IOException {
        long value = rs.getLong(column);
        if (rs.wasNull()) {
            json.writeNullField(name);
        } else {
            json.writeNumberField(name, value);
        }
    }

    /**
     * A stored JSON array, re-emitted as it is: the column's JSON type guarantees valid JSON,
     * so there is no need to parse 20,000 small arrays per answer. NULL becomes {@code []};
     * anything but an array (written by another tool) is re-read and kept to its strings.
     */
    private static void writeList(JsonGenerator json, String name, String stored) throws IOException {
        json.writeFieldName(name);
        if (stored == null) {
            json.writeStartArray();
            json.writeEndArray();
        } else if (stored.startsWith("[")) {
            json.writeRawValue(stored);
        } else {
            json.writeStartArray();
            try (JsonParser parser = JSON.createParser(stored)) {
                for (JsonToken t = parser.nextToken(); t != null; t = parser.nextToken()) {
                    if (t == JsonToken.VALUE_STRING) {
                        json.writeString(parser.getText());
                    }
                }
            }
            json.writeEndArray();
        }
    }

    static String iso(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC).format(RunInfo.ISO_UTC);
    }
}
