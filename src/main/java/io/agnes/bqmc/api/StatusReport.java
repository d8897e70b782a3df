package io.agnes.bqmc.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

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

    static final String QUERY = """
            SELECT r.id, CAST(c.refreshed_at AS VARCHAR), c."rows", c.size_bytes, c.partition_by,
                   CAST(c.clustered_by AS VARCHAR), c.entity_type, CAST(c.known_columns AS VARCHAR),
                   CAST(c.error_at AS VARCHAR), c.error_msg
            FROM table_registry r LEFT JOIN bq_metadata_cache c ON c.table_id = r.id
            WHERE r.query_mode = 'remote' AND r.source_type = 'bigquery'
            ORDER BY r.id""";

    private static final JsonFactory JSON = new JsonFactory();

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
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        try (JsonGenerator json = JSON.createGenerator(out);
             Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(QUERY);
             ResultSet rs = ps.executeQuery()) {
            json.writeStartObject();
            json.writeNumberField("scheduler_interval_seconds", intervalSeconds);
            json.writeNumberField("fresh_threshold_seconds", threshold.toSeconds());
            json.writeStringField("server_time", iso(now));
            json.writeArrayFieldStart("tables");
            while (rs.next()) {
                writeTable(json, rs, now);
            }
            json.writeEndArray();
            // an addition to the contract's fields: the newest runs, for "when did this last run?"
            json.writeArrayFieldStart("last_runs");
            for (RunHistory.Run run : history.newest(LAST_RUNS)) {
                writeRun(json, run);
            }
            json.writeEndArray();
            json.writeEndObject();
        }
        return out.toByteArray();
    }

    private void writeTable(JsonGenerator json, ResultSet rs, Instant now) throws SQLException, IOException {
        Instant refreshedAt = instant(rs.getString(2));
        Instant errorAt = instant(rs.getString(9));
        json.writeStartObject();
        json.writeStringField("table_id", rs.getString(1));
        writeInstant(json, "refreshed_at", refreshedAt);
        writeLong(json, "rows", rs, 3);
        writeLong(json, "size_bytes", rs, 4);
        json.writeStringField("partition_by", rs.getString(5));
        writeList(json, "clustered_by", rs.getString(6));
        json.writeStringField("entity_type", rs.getString(7));
        writeList(json, "known_columns", rs.getString(8));
        writeInstant(json, "error_at", errorAt);
        json.writeStringField("error_msg", rs.getString(10));
        json.writeStringField("freshness", Freshness.of(refreshedAt, errorAt, now, threshold).wire());
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

    private static void writeInstant(JsonGenerator json, String name, Instant value) throws IOException {
        if (value == null) {
            json.writeNullField(name);
        } else {
            json.writeStringField(name, iso(value));
        }
    }

    /** A stored JSON array of strings, re-emitted as is; NULL becomes {@code []}. */
    private static void writeList(JsonGenerator json, String name, String stored) throws IOException {
        json.writeArrayFieldStart(name);
        if (stored != null) {
            try (JsonParser parser = JSON.createParser(stored)) {
                if (parser.nextToken() == JsonToken.START_ARRAY) {
                    while (parser.nextToken() == JsonToken.VALUE_STRING) {
                        json.writeString(parser.getText());
                    }
                }
            }
        }
        json.writeEndArray();
    }

    static Instant instant(String stored) {
        return CacheWrites.parseNaive(stored);
    }

    static String iso(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC).format(RunInfo.ISO_UTC);
    }
}
