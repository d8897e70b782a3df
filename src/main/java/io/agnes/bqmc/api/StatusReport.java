package io.agnes.bqmc.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.agnes.bqmc.cache.CachedTable;
import io.agnes.bqmc.cache.CachedTables;
import io.agnes.bqmc.history.RunHistory;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.LogText;
import io.agnes.bqmc.support.Times;

/**
 * The body of {@code GET /api/v2/metadata-cache/status}, in the field order of {@link StatusBody},
 * written with Jackson's {@link JsonGenerator}. Memory per request is bounded whatever the table
 * count:
 * <ul>
 * <li>an unfiltered answer of up to {@value #KEPT_TABLES} tables is kept rendered (one shared copy,
 * a few MB at most) while its fingerprint holds, and written raw into each answer;</li>
 * <li>anything larger, and every filtered answer, is streamed from the database to the socket
 * ({@link Stream}): a few hundred rows at a time, at the client's pace;</li>
 * <li>at most {@value #STREAMS} streams run at once (each holds a database connection); a reader
 * beyond that waits up to {@value #STREAM_WAIT_MS} ms, then gets 503 with {@code Retry-After};
 * a stream not read to its end within {@value #STREAM_SECONDS} s is cut, so a stalled client
 * never keeps its connection.</li>
 * </ul>
 * Rendering the whole answer per reader had wedged the service at 100,000 tables
 * (docs/RELIABILITY.md, section 11).
 */
public class StatusReport {

    /** How many runs {@code last_runs} shows, newest first. */
    static final int LAST_RUNS = 10;

    /**
     * Up to this many tables an unfiltered answer is kept rendered (~300 bytes a table). Each
     * answer is one copy of it, made once ({@link Answer}): 10,000 tables cost a reader what 5,000
     * did when the answer was copied twice (docs/BENCHMARKS.md, B4).
     */
    static final int KEPT_TABLES = 10_000;

    static final int STREAMS = 4;
    static final long STREAM_WAIT_MS = 2_000;
    static final long STREAM_SECONDS = 300;

    /** Rows rendered per refill of a stream's buffer. */
    private static final int ROWS_PER_CHUNK = 200;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectWriter RUNS = JSON.writerWithView(RunRecord.History.class);
    private static final ObjectWriter TABLE = JSON.writerFor(CachedTable.class);

    /** The last rendered tables array, exact while its fingerprint holds and until {@code validUntil}. */
    private record Rendered(String fingerprint, Instant validUntil, byte[] tables) {
    }

    private final CachedTables cachedTables;
    private final RunHistory history;
    private final long intervalSeconds;
    private final Duration threshold;
    private final Clock clock;
    /** Each stream's {@link #STREAM_SECONDS} deadline, on a thread of Camel's. */
    private final ScheduledExecutorService deadlines;
    private final Semaphore streams = new Semaphore(STREAMS);
    private volatile Rendered rendered;

    public StatusReport(CachedTables cachedTables, RunHistory history, long intervalSeconds, Duration threshold,
                        Clock clock, ScheduledExecutorService deadlines) {
        this.deadlines = deadlines;
        this.cachedTables = cachedTables;
        this.history = history;
        this.intervalSeconds = intervalSeconds;
        this.threshold = threshold;
        this.clock = clock;
    }

    /** The whole answer as bytes, for tests and tools. */
    public byte[] render() throws SQLException, IOException {
        Object answer = answer(StatusFilter.NONE);
        if (answer instanceof ByteBuffer buffer) {
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        }
        try (InputStream in = (InputStream) answer) {
            return in.readAllBytes();
        }
    }

    /**
     * The answer as the HTTP server sends it: a {@link ByteBuffer} (with a Content-Length) when it
     * is small and kept, else an {@link InputStream} that the server pumps at the client's pace.
     *
     * @throws BadRequestException   when the filter names a table that is not a remote BigQuery table
     * @throws StatusBusyException   when every stream is taken
     */
    Object answer(StatusFilter filter) throws SQLException, IOException {
        Instant now = clock.instant();
        if (!filter.tables().isEmpty()) {
            Set<String> known = cachedTables.existing(filter.tables());
            if (known.size() < filter.tables().size()) {
                List<String> unknown = filter.tables().stream().filter(t -> !known.contains(t)).map(LogText::safe).toList();
                throw new BadRequestException("Unknown table_id: " + String.join(", ", unknown)
                        + " (not a remote BigQuery table of table_registry)");
            }
        }
        List<RunRecord> runs = history.newest(LAST_RUNS);
        if (filter.isNone()) {
            CachedTables.Fingerprint fingerprint = cachedTables.fingerprint(now);
            if (fingerprint.count() <= KEPT_TABLES) {
                byte[] tables = kept(now, fingerprint);
                Answer out = new Answer(tables.length + 8192);
                try (JsonGenerator json = JSON.createGenerator(out)) {
                    head(json, now);
                    // the kept array, written as it is: the generator is told a value stands here
                    json.writeRawValue("");
                    json.flush();
                    out.write(tables);
                    tail(json, runs);
                }
                return out.asBuffer();
            }
        }
        try {
            if (!streams.tryAcquire(STREAM_WAIT_MS, TimeUnit.MILLISECONDS)) {
                throw new StatusBusyException("The status is being sent to " + STREAMS + " readers already: try again"
                        + " shortly");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StatusBusyException("interrupted");
        }
        try {
            return new Stream(cachedTables.open(now), filter, now, runs);
        } catch (SQLException | RuntimeException e) {
            streams.release();
            throw e;
        }
    }

    private void head(JsonGenerator json, Instant now) throws IOException {
        json.writeStartObject();
        json.writeNumberField("scheduler_interval_seconds", intervalSeconds);
        json.writeNumberField("fresh_threshold_seconds", threshold.toSeconds());
        json.writeStringField("server_time", Times.iso(now));
        json.writeFieldName("tables");
    }

    private static void tail(JsonGenerator json, List<RunRecord> runs) throws IOException {
        json.writeFieldName("last_runs");
        RUNS.writeValue(json, runs);
        json.writeEndObject();
    }

    /** An answer's bytes, sized for it up front and handed over without a copy. */
    private static final class Answer extends ByteArrayOutputStream {
        Answer(int size) {
            super(size);
        }

        ByteBuffer asBuffer() {
            return ByteBuffer.wrap(buf, 0, count);
        }
    }

    /** The unfiltered tables array of a small estate, rendered again only when what it shows changed. */
    private byte[] kept(Instant now, CachedTables.Fingerprint fingerprint) throws SQLException, IOException {
        Rendered last = rendered;
        if (last != null && last.fingerprint().equals(fingerprint.value()) && now.isBefore(last.validUntil())) {
            return last.tables();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartArray();
            cachedTables.forEach(now, table -> TABLE.writeValue(json, table));
            json.writeEndArray();
        }
        byte[] tables = out.toByteArray();
        rendered = new Rendered(fingerprint.value(), fingerprint.validUntil(), tables);
        return tables;
    }

    /**
     * An answer read from the database as the client reads it: each read renders the next rows
     * into a small buffer. Closed at its end, by the server, or by its deadline; closing gives the
     * connection and the stream's place back, once.
     */
    private final class Stream extends InputStream {
        private final CachedTables.Cursor cursor;
        private final StatusFilter filter;
        private final List<RunRecord> runs;
        private final Buffer buffer = new Buffer();
        private final JsonGenerator json;
        private final ScheduledFuture<?> deadline;
        private byte[] chunk = new byte[0];
        private int position;
        private boolean finished;
        private boolean closed;

        Stream(CachedTables.Cursor cursor, StatusFilter filter, Instant now, List<RunRecord> runs) throws IOException {
            this.cursor = cursor;
            this.filter = filter;
            this.runs = runs;
            this.json = JSON.createGenerator(buffer);
            head(json, now);
            json.writeStartArray();
            this.deadline = deadlines.schedule(this::expire, STREAM_SECONDS, TimeUnit.SECONDS);
        }

        @Override
        public synchronized int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            if (closed) {
                if (finished) {
                    return -1;
                }
                throw new IOException("the status answer was cut off: not read to its end within " + STREAM_SECONDS
                        + " s, or the database failed");
            }
            while (position >= chunk.length) {
                if (finished) {
                    close();
                    return -1;
                }
                refill();
            }
            int n = Math.min(len, chunk.length - position);
            System.arraycopy(chunk, position, b, off, n);
            position += n;
            return n;
        }

        private void refill() throws IOException {
            try {
                for (int i = 0; i < ROWS_PER_CHUNK; i++) {
                    CachedTable table = cursor.next();
                    if (table == null) {
                        json.writeEndArray();
                        tail(json, runs);
                        finished = true;
                        break;
                    }
                    if (filter.matches(table)) {
                        TABLE.writeValue(json, table);
                    }
                }
                json.flush();
            } catch (SQLException e) {
                close();
                throw new IOException("the database failed while the status was sent: " + e.getMessage(), e);
            }
            chunk = buffer.take();
            position = 0;
        }

        private synchronized void expire() {
            close();
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            deadline.cancel(false);
            try {
                cursor.close();
            } catch (SQLException ignored) {
                // the connection goes back to the pool, which checks it
            } finally {
                streams.release();
            }
        }
    }

    /** What the generator wrote since the last take. */
    private static final class Buffer extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(32 * 1024);

        @Override
        public void write(int b) {
            bytes.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
        }

        byte[] take() {
            byte[] out = bytes.toByteArray();
            bytes.reset();
            return out;
        }
    }
}
