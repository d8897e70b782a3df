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
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.agnes.bqmc.cache.CachedTable;
import io.agnes.bqmc.cache.CachedTables;
import io.agnes.bqmc.cache.Freshness;
import io.agnes.bqmc.cache.KeptTables;
import io.agnes.bqmc.history.RunHistory;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.LogText;
import io.agnes.bqmc.support.Times;

/**
 * The body of {@code GET /api/v2/metadata-cache/status}, in the field order of {@link StatusBody},
 * written with Jackson's {@link JsonGenerator}. The rows come from {@link KeptTables} (rendered once,
 * each verdict judged per answer) or, for an estate too large to keep, from the database as they
 * are sent. Memory per request is bounded whatever the table count:
 * <ul>
 * <li>an answer of up to {@value #WHOLE_ANSWER_BYTES} bytes of kept rows is made whole and sent
 * with its length;</li>
 * <li>anything larger is written as the client reads it ({@link Stream}), a few hundred rows at a
 * time;</li>
 * <li>at most {@value #STREAMS} streams run at once (each holds a database connection, or the kept
 * rows it started with); a reader beyond that waits up to {@value #STREAM_WAIT_MS} ms, then gets
 * 503 with {@code Retry-After}; a stream not read to its end within {@value #STREAM_SECONDS} s is
 * cut, so a stalled client never keeps its place.</li>
 * </ul>
 * Rendering the whole answer per reader had wedged the service at 100,000 tables
 * (docs/RELIABILITY.md, section 11).
 */
public class StatusReport {

    /** How many runs {@code last_runs} shows, newest first. */
    static final int LAST_RUNS = 10;

    /** Up to this size (about 10,000 tables) an answer is made whole: one copy of the kept rows per reader. */
    static final int WHOLE_ANSWER_BYTES = 4 << 20;

    static final int STREAMS = 4;
    static final long STREAM_WAIT_MS = 2_000;
    static final long STREAM_SECONDS = 300;

    /** Rows written per refill of a stream's buffer. */
    private static final int ROWS_PER_CHUNK = 200;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectWriter RUNS = JSON.writerWithView(RunRecord.History.class);
    private static final ObjectWriter TABLE = JSON.writerFor(CachedTable.class);

    private final CachedTables cachedTables;
    private final KeptTables kept;
    private final RunHistory history;
    private final long intervalSeconds;
    private final Duration threshold;
    private final Clock clock;
    /** Each stream's {@link #STREAM_SECONDS} deadline, on a thread of Camel's. */
    private final ScheduledExecutorService deadlines;
    private final Semaphore streams = new Semaphore(STREAMS);

    public StatusReport(CachedTables cachedTables, KeptTables kept, RunHistory history, long intervalSeconds,
                        Duration threshold, Clock clock, ScheduledExecutorService deadlines) {
        this.cachedTables = cachedTables;
        this.kept = kept;
        this.history = history;
        this.intervalSeconds = intervalSeconds;
        this.threshold = threshold;
        this.clock = clock;
        this.deadlines = deadlines;
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
     * is small, else an {@link InputStream} that the server pumps at the client's pace.
     *
     * @throws BadRequestException   when the filter names a table that is not a remote BigQuery table
     * @throws StatusBusyException   when every stream is taken
     */
    Object answer(StatusFilter filter) throws SQLException, IOException {
        Instant now = clock.instant();
        KeptTables.Rows rows = kept.current(now);
        if (!filter.tables().isEmpty()) {
            Set<String> known = rows != null ? filter.tables().stream().filter(rows::contains).collect(Collectors.toSet())
                    : cachedTables.existing(filter.tables());
            if (known.size() < filter.tables().size()) {
                List<String> unknown = filter.tables().stream().filter(t -> !known.contains(t)).map(LogText::safe).toList();
                throw new BadRequestException("Unknown table_id: " + String.join(", ", unknown)
                        + " (not a remote BigQuery table of table_registry)");
            }
        }
        List<RunRecord> runs = history.newest(LAST_RUNS);
        if (rows != null && rows.bytes() <= WHOLE_ANSWER_BYTES) {
            // the verdicts, commas and the rest of the answer: about 25 bytes a table and a few kB
            Answer out = new Answer((int) rows.bytes() + 32 * rows.size() + 8192);
            KeptRows source = new KeptRows(rows, filter, cachedTables.freshSince(now));
            try (JsonGenerator json = JSON.createGenerator(out)) {
                head(json, now);
                json.writeStartArray();
                while (source.more(json, out)) {
                    // every row, written raw after the generator's own output
                }
                json.writeEndArray();
                tail(json, runs);
            }
            return out.asBuffer();
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
            Rows source = rows != null ? new KeptRows(rows, filter, cachedTables.freshSince(now))
                    : new DatabaseRows(cachedTables.open(now), filter);
            return new Stream(source, now, runs);
        } catch (SQLException | IOException | RuntimeException e) {
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

    /** Where an answer's rows come from, a few hundred at a time. */
    private interface Rows {
        /** Writes the next rows that match into the array the generator has open; false once there are none left. */
        boolean more(JsonGenerator json, OutputStream raw) throws IOException, SQLException;

        void close() throws SQLException;
    }

    /** The kept rows, each written as its bytes with the verdict of the answer's moment. */
    private static final class KeptRows implements Rows {
        private final KeptTables.Rows rows;
        private final StatusFilter filter;
        private final long freshSince;
        private int next;
        private boolean first = true;

        KeptRows(KeptTables.Rows rows, StatusFilter filter, long freshSince) {
            this.rows = rows;
            this.filter = filter;
            this.freshSince = freshSince;
        }

        @Override
        public boolean more(JsonGenerator json, OutputStream raw) throws IOException {
            json.flush(); // what the generator wrote goes first
            int end = Math.min(rows.size(), next + ROWS_PER_CHUNK);
            for (; next < end; next++) {
                Freshness verdict = rows.verdict(next, freshSince);
                if (filter.matches(rows.tableId(next), verdict)) {
                    if (!first) {
                        raw.write(',');
                    }
                    first = false;
                    rows.write(next, verdict, raw);
                }
            }
            return next < rows.size();
        }

        @Override
        public void close() {
            // nothing held but the rows themselves
        }
    }

    /** A read of the database, for an estate too large to keep: holds a connection until closed. */
    private static final class DatabaseRows implements Rows {
        private final CachedTables.Cursor cursor;
        private final StatusFilter filter;

        DatabaseRows(CachedTables.Cursor cursor, StatusFilter filter) {
            this.cursor = cursor;
            this.filter = filter;
        }

        @Override
        public boolean more(JsonGenerator json, OutputStream raw) throws IOException, SQLException {
            for (int i = 0; i < ROWS_PER_CHUNK; i++) {
                if (!cursor.next()) {
                    return false;
                }
                CachedTable table = cursor.table();
                if (filter.matches(table.tableId(), table.freshness())) {
                    TABLE.writeValue(json, table);
                }
            }
            return true;
        }

        @Override
        public void close() throws SQLException {
            cursor.close();
        }
    }

    /**
     * An answer written as the client reads it: each read writes the next rows into a small
     * buffer. Closed at its end, by the server, or by its deadline; closing gives what the rows
     * hold and the stream's place back, once.
     */
    private final class Stream extends InputStream {
        private final Rows rows;
        private final List<RunRecord> runs;
        private final Buffer buffer = new Buffer();
        private final JsonGenerator json;
        private final ScheduledFuture<?> deadline;
        private byte[] chunk = new byte[0];
        private int position;
        private boolean finished;
        private boolean closed;

        Stream(Rows rows, Instant now, List<RunRecord> runs) throws IOException {
            this.rows = rows;
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
                if (!rows.more(json, buffer)) {
                    json.writeEndArray();
                    tail(json, runs);
                    finished = true;
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
                rows.close();
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
