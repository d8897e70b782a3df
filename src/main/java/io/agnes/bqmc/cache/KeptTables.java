package io.agnes.bqmc.cache;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;

/**
 * The status answer's tables kept in memory, each rendered once as JSON without its verdict, which
 * changes with time alone and is added per answer ({@link Freshness#of}): an answer is then a copy
 * of bytes rather than a read and a render of every row (docs/BENCHMARKS.md, B13).
 * <ul>
 * <li><b>Exact at every answer.</b> {@link #current} first reads the rows' fingerprint (one scan);
 * when it differs from the kept rows', every row is read again, and rendered again only where its
 * version changed. A write by anyone (a run, another replica, the platform) shows at once.</li>
 * <li><b>Bounded.</b> The kept rows take at most {@code budget} bytes; an estate larger than that is
 * not kept (until it shrinks below the count that did not fit) and its answers are read from the
 * database as they are sent.</li>
 * <li><b>Never changed once made.</b> A reader keeps the {@link Rows} it got however long it takes
 * to send them; a new load shares the fragments of the rows that did not change.</li>
 * </ul>
 */
public final class KeptTables {

    /** What a kept row costs besides its JSON: its id, the arrays' slots, its place in the index. */
    static final int ROW_OVERHEAD_BYTES = 128;

    private static final ObjectWriter FRAGMENT = new ObjectMapper().writerWithView(CachedTable.WithoutVerdict.class)
            .forType(CachedTable.class);

    /** What ends a row after its fragment, per verdict: the field {@link CachedTable#freshness()} writes. */
    private static final byte[][] VERDICTS = Arrays.stream(Freshness.values())
            .map(f -> (",\"freshness\":\"" + f.wire() + "\"}").getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);

    /** The rows of one moment, in {@code table_id} order. */
    public static final class Rows {
        private final String[] ids;
        private final byte[][] fragments;
        private final long[] refreshedMicros;
        private final boolean[] failed;
        private final long[] versions;
        private final Map<String, Integer> positions;
        private final CachedTables.Fingerprint fingerprint;
        private final long bytes;
        /** {@link System#nanoTime} when the read of these rows began. */
        private final long readAt;

        private Rows(List<Row> rows, CachedTables.Fingerprint fingerprint, long bytes, long readAt) {
            int n = rows.size();
            this.ids = new String[n];
            this.fragments = new byte[n][];
            this.refreshedMicros = new long[n];
            this.failed = new boolean[n];
            this.versions = new long[n];
            this.positions = new HashMap<>(Math.max(16, (int) (n / 0.75f) + 1));
            for (int i = 0; i < n; i++) {
                Row row = rows.get(i);
                ids[i] = row.id();
                fragments[i] = row.fragment();
                refreshedMicros[i] = row.refreshedMicros();
                failed[i] = row.failed();
                versions[i] = row.version();
                positions.put(row.id(), i);
            }
            this.fingerprint = fingerprint;
            this.bytes = bytes;
            this.readAt = readAt;
        }

        public int size() {
            return ids.length;
        }

        /** The rows' JSON, verdicts aside: a little less than an answer of them takes. */
        public long bytes() {
            return bytes;
        }

        public boolean contains(String tableId) {
            return positions.containsKey(tableId);
        }

        public String tableId(int i) {
            return ids[i];
        }

        public Freshness verdict(int i, long freshSinceMicros) {
            return Freshness.of(refreshedMicros[i], failed[i], freshSinceMicros);
        }

        /** Row {@code i}'s JSON without its verdict: the same array while the row is unchanged. */
        byte[] fragment(int i) {
            return fragments[i];
        }

        /** Row {@code i} as the status shows it, with {@code verdict}. */
        public void write(int i, Freshness verdict, OutputStream out) throws IOException {
            out.write(fragments[i]);
            out.write(VERDICTS[verdict.ordinal()]);
        }
    }

    private record Row(String id, byte[] fragment, long refreshedMicros, boolean failed, long version) {
    }

    /** An estate that did not fit: {@code count} rows, read from {@code readAt}. */
    private record OverBudget(long count, long readAt) {
    }

    private final CachedTables tables;
    private final long budget;
    private volatile Rows kept;
    private volatile OverBudget overBudget;

    /** @param budget the most the kept rows may take, in bytes */
    public KeptTables(CachedTables tables, long budget) {
        this.tables = tables;
        this.budget = budget;
    }

    /**
     * The rows as they are now, or null when they do not fit the budget (the caller then reads
     * them from the database).
     *
     * @param now the moment a row read now is judged at (unused in what is kept: verdicts are per answer)
     */
    public Rows current(Instant now) throws SQLException, IOException {
        long askedAt = System.nanoTime();
        CachedTables.Fingerprint fingerprint = tables.fingerprint();
        Rows last = kept;
        if (last != null && last.fingerprint.equals(fingerprint)) {
            return last;
        }
        synchronized (this) {
            // another answer may have read the rows meanwhile: after this one's fingerprint, as new as it
            Rows again = kept;
            if (again != null && (again.fingerprint.equals(fingerprint) || again.readAt - askedAt >= 0)) {
                return again;
            }
            OverBudget over = overBudget;
            if (over != null && (fingerprint.count() >= over.count() || over.readAt() - askedAt >= 0)) {
                return null;
            }
            return load(again, now);
        }
    }

    /** Reads every row, rendering only those whose version changed since {@code before}. */
    private Rows load(Rows before, Instant now) throws SQLException, IOException {
        long readAt = System.nanoTime();
        List<Row> rows = new ArrayList<>(before == null ? 1024 : before.size());
        CachedTables.Fingerprint fingerprint = CachedTables.Fingerprint.EMPTY;
        long bytes = 0;
        Fragment out = new Fragment();
        try (CachedTables.Cursor cursor = tables.open(now)) {
            while (cursor.next()) {
                String id = cursor.tableId();
                long version = cursor.version();
                Integer at = before == null ? null : before.positions.get(id);
                byte[] fragment = at != null && before.versions[at] == version ? before.fragments[at]
                        : out.render(cursor.table());
                bytes += fragment.length;
                if (bytes + (rows.size() + 1L) * ROW_OVERHEAD_BYTES > budget) {
                    kept = null;
                    overBudget = new OverBudget(rows.size() + 1L, readAt);
                    return null;
                }
                rows.add(new Row(id, fragment, cursor.refreshedMicros(), cursor.failed(), version));
                fingerprint = fingerprint.combine(version);
            }
        }
        Rows loaded = new Rows(rows, fingerprint, bytes, readAt);
        kept = loaded;
        overBudget = null;
        return loaded;
    }

    /** One row's JSON without its verdict, its closing brace left for {@link #VERDICTS} to write. */
    private static final class Fragment extends ByteArrayOutputStream {
        Fragment() {
            super(1024);
        }

        byte[] render(CachedTable table) throws IOException {
            reset();
            FRAGMENT.writeValue(this, table);
            return Arrays.copyOf(buf, count - 1);
        }
    }
}
