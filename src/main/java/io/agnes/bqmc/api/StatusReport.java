package io.agnes.bqmc.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SequenceWriter;
import io.agnes.bqmc.cache.CachedTable;
import io.agnes.bqmc.cache.CachedTables;
import io.agnes.bqmc.history.RunHistory;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.LogText;
import io.agnes.bqmc.support.Times;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;

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

    /** The whole answer as bytes, for tests and tools. */
    public byte[] render() throws SQLException, IOException {
        return answer(StatusFilter.NONE).getBytes();
    }

    /**
     * The answer as the HTTP server sends it: the small frame around the tables array is rendered
     * per request, the array itself is the kept rendering, and the three are handed over as one
     * buffer without being copied together. (As a byte array, Camel converted the answer to a
     * stream and sent it 16 KB at a time, each through a worker-thread hop: 270 ms of the 312 ms
     * that 100,000 rows took, docs/BENCHMARKS.md B9.)
     *
     * @throws BadRequestException when the filter names a table that is not a remote BigQuery table
     */
    Buffer answer(StatusFilter filter) throws SQLException, IOException {
        Instant now = clock.instant();
        RenderedTables tables = filter.isNone() ? tables(now) : filtered(now, filter);
        List<RunRecord> runs = history.newest(LAST_RUNS);
        byte[] frame = BODY.writeValueAsBytes(new StatusBody(intervalSeconds, threshold.toSeconds(), Times.iso(now),
                new RenderedTables(TABLES_HERE, tables.size()), runs));
        int at = indexOf(frame, TABLES_HERE);
        return Buffer.buffer(Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(frame, 0, at),
                Unpooled.wrappedBuffer(tables.bytes()),
                Unpooled.wrappedBuffer(frame, at + TABLES_HERE.length, frame.length - at - TABLES_HERE.length)));
    }

    /** Where the tables go in the frame: bytes Jackson never writes itself (it escapes control characters). */
    private static final byte[] TABLES_HERE = {0x01, 'T', 0x01};

    private static int indexOf(byte[] in, byte[] what) {
        outer:
        for (int i = 0; i <= in.length - what.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (in[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException("the status frame lost its tables");
    }

    /** A filtered answer is small and asked for rarely: rendered each time, never kept. */
    private RenderedTables filtered(Instant now, StatusFilter filter) throws SQLException, IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4 * 1024);
        Set<String> seen = new HashSet<>();
        int[] count = {0};
        try (SequenceWriter array = TABLE.writeValuesAsArray(out)) {
            cachedTables.forEach(now, table -> {
                if (filter.tables().contains(table.tableId())) {
                    seen.add(table.tableId());
                }
                if (filter.matches(table)) {
                    array.write(table);
                    count[0]++;
                }
            });
        }
        if (seen.size() < filter.tables().size()) {
            List<String> unknown = filter.tables().stream().filter(t -> !seen.contains(t)).map(LogText::safe).toList();
            throw new BadRequestException("Unknown table_id: " + String.join(", ", unknown)
                    + " (not a remote BigQuery table of table_registry)");
        }
        return new RenderedTables(out.toByteArray(), count[0]);
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
