package io.agnes.bqmc.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SequenceWriter;
import io.agnes.bqmc.cache.CachedTable;
import io.agnes.bqmc.cache.CachedTables;
import io.agnes.bqmc.history.RunHistory;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.Times;

/**
 * The body of {@code GET /api/v2/metadata-cache/status}: a {@link StatusBody} rendered by
 * Jackson. The tables array is rendered again only when what it shows changed (any write, from
 * this service or anyone else) or a table's freshness turns with time; otherwise the last
 * rendering is spliced in as it is. With 10,000 tables a rendering is ~40 ms of CPU and the
 * fingerprint that decides a few (docs/BENCHMARKS.md, B4).
 */
public class StatusReport {

    /** How many runs {@code last_runs} shows, newest first. */
    static final int LAST_RUNS = 10;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectWriter BODY = JSON.writerWithView(RunRecord.History.class).forType(StatusBody.class);
    private static final ObjectWriter TABLE = JSON.writerFor(CachedTable.class);

    /** The last rendered tables array, exact while its fingerprint holds and until {@code validUntil}. */
    private record Rendered(String fingerprint, Instant validUntil, RenderedTables tables) {
    }

    private final CachedTables cachedTables;
    private final RunHistory history;
    private final long intervalSeconds;
    private final Duration threshold;
    private final Clock clock;
    private volatile Rendered rendered;

    public StatusReport(CachedTables cachedTables, RunHistory history, long intervalSeconds, Duration threshold,
                        Clock clock) {
        this.cachedTables = cachedTables;
        this.history = history;
        this.intervalSeconds = intervalSeconds;
        this.threshold = threshold;
        this.clock = clock;
    }

    public byte[] render() throws SQLException, IOException {
        Instant now = clock.instant();
        List<RunRecord> runs = history.newest(LAST_RUNS);
        return BODY.writeValueAsBytes(new StatusBody(intervalSeconds, threshold.toSeconds(), Times.iso(now),
                tables(now), runs));
    }

    private RenderedTables tables(Instant now) throws SQLException, IOException {
        CachedTables.Fingerprint fingerprint = cachedTables.fingerprint(now);
        Rendered last = rendered;
        if (last != null && last.fingerprint().equals(fingerprint.value()) && now.isBefore(last.validUntil())) {
            return last.tables();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        int[] count = {0};
        try (SequenceWriter array = TABLE.writeValuesAsArray(out)) {
            cachedTables.forEach(now, table -> {
                array.write(table);
                count[0]++;
            });
        }
        RenderedTables tables = new RenderedTables(out.toByteArray(), count[0]);
        rendered = new Rendered(fingerprint.value(), fingerprint.validUntil(), tables);
        return tables;
    }
}
