package io.agnes.bqmc.events;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

import io.agnes.bqmc.db.Database;
import io.agnes.bqmc.db.Dialect;
import io.agnes.bqmc.db.Tables;
import io.agnes.bqmc.db.Transaction;

/**
 * The tables waiting for the lookup a change event asked for: {@code bqmc_table_changes} (ours),
 * one row per registry row. A push is acknowledged only once its row is committed here, so a
 * crash or a stop before the lookup loses nothing: the row waits for whichever replica polls
 * next. Debounced per table: the first event opens a window of {@code BQMC_EVENTS_DEBOUNCE_SECONDS}
 * ({@code due_at}), later ones only bump its {@code version}, so a load of a thousand files makes
 * one lookup, never later than the window's end however long the events go on.
 * <p>
 * Across replicas the database decides who looks: a replica claims due rows for a lease
 * ({@code FOR UPDATE SKIP LOCKED} on PostgreSQL, so two pollers never take the same row), and
 * settles it once looked up, unless an event came after its claim; if one did, the row stays
 * waiting for another lookup, its new window opened by that event. Finished lookups are queued
 * in memory and settled together by the next poll ({@link #settleFinished}): a lookup never waits
 * on the database for its settlement.
 */
public class ChangeQueue {

    /**
     * Ours, hence the prefix: created if missing. A row per table that ever changed, waiting while
     * {@code due_at} is set: a settled row is kept and reopened, never deleted and inserted again
     * (DuckDB refuses to insert a key whose deleted row an older reader can still see).
     */
    public static final String TABLE = "bqmc_table_changes";

    /** A claim is given up this long after it was taken if its replica never finished (it died). */
    static final Duration LEASE = Duration.ofMinutes(5);

    /**
     * How long the push that commits waits for others first. Each statement costs DuckDB a few
     * milliseconds of CPU whatever it holds, and pushes come in bursts (docs/BENCHMARKS.md, B14);
     * Pub/Sub does not mind 20 ms more before its acknowledgement.
     */
    static final long LINGER_MS = 20;

    /** Pushes committed together at most: a transaction stays short however many wait. */
    private static final int MAX_BATCH = 500;

    /** A claimed table whose cache shows a lookup this long after the change needs none of its own. */
    static final Duration COVERED_MARGIN = Duration.ofSeconds(2);

    /** A claimed row, as the lookup needs it. */
    public record Claimed(String tableId, long version, Instant changedAt, Instant receivedAt) {
    }

    private final Database database;
    private final Dialect dialect;
    private final ReentrantLock duckDbWrites;
    /** On PostgreSQL, only the pushes' commits are combined; the database orders the rest. */
    private final ReentrantLock combining = new ReentrantLock();
    private final ConcurrentLinkedQueue<Addition> additions = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Settlement> settlements = new ConcurrentLinkedQueue<>();

    public ChangeQueue(Database database) {
        this.database = database;
        this.dialect = database.dialect();
        this.duckDbWrites = dialect == Dialect.DUCKDB ? new ReentrantLock() : null;
    }

    /** Creates the table where it is missing. */
    public static void ensure(Connection c, Dialect dialect) throws SQLException {
        if (!Tables.columns(c, TABLE).isEmpty()) {
            return;
        }
        String ts = dialect.timestampType();
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (\n"
                    + "    table_id VARCHAR PRIMARY KEY,\n"
                    + "    changed_at " + ts + " NOT NULL,\n"
                    + "    received_at " + ts + " NOT NULL,\n"
                    + "    due_at " + ts + ",\n"
                    + "    events BIGINT NOT NULL,\n"
                    + "    version BIGINT NOT NULL,\n"
                    + "    claimed_by VARCHAR,\n"
                    + "    claimed_until " + ts + ",\n"
                    + "    claimed_version BIGINT\n"
                    + ")");
        }
    }

    /**
     * Queues a lookup of these registry rows, committed before this returns. Pushes arrive
     * together: whoever gets to write first commits what the others queued meanwhile in the same
     * transaction (one commit for a burst, not one each), in table order, so two replicas'
     * batches never wait on each other's rows in opposite orders.
     *
     * @param changedAt when BigQuery made the change
     * @param dueAt     when the window this event opens (if it opens one) ends
     */
    public void add(Collection<String> tableIds, Instant changedAt, Instant receivedAt, Instant dueAt) throws SQLException {
        Addition mine = new Addition(tableIds, changedAt, receivedAt, dueAt, new CompletableFuture<>());
        additions.add(mine);
        // pushes come in bursts: those arriving meanwhile go in the same commit (waited for
        // outside the lock, which the lookups' claims and settlements need too)
        linger();
        // whoever holds the write lock commits every addition waiting, its own and others'
        ReentrantLock lock = duckDbWrites != null ? duckDbWrites : combining;
        while (!mine.committed().isDone()) {
            lock.lock();
            try {
                if (!mine.committed().isDone()) {
                    commitWaiting();
                }
            } finally {
                lock.unlock();
            }
        }
        try {
            mine.committed().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof SQLException sql) {
                throw new SQLException(sql.getMessage(), sql.getSQLState(), sql.getErrorCode(), sql);
            }
            throw e;
        }
    }

    private static void linger() {
        try {
            Thread.sleep(LINGER_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One pushed change, waiting for the commit that takes it. */
    private record Addition(Collection<String> tableIds, Instant changedAt, Instant receivedAt, Instant dueAt,
                            CompletableFuture<Void> committed) {
    }

    private void commitWaiting() {
        List<Addition> batch = new ArrayList<>();
        for (Addition a; batch.size() < MAX_BATCH && (a = additions.poll()) != null; ) {
            batch.add(a);
        }
        // one row per table: a statement may not upsert a key twice; its first event opens the window
        TreeMap<String, Row> rows = new TreeMap<>();
        for (Addition a : batch) {
            for (String id : a.tableIds()) {
                rows.merge(id, new Row(a.changedAt(), a.receivedAt(), a.dueAt(), 1), Row::merge);
            }
        }
        try (Connection c = database.getConnection()) {
            Transaction.run(c, tx -> {
                // one statement for the batch: DuckDB spends milliseconds on each statement it runs
                try (PreparedStatement ps = c.prepareStatement(upsert(rows.size()))) {
                    int i = 0;
                    for (Map.Entry<String, Row> row : rows.entrySet()) {
                        Row r = row.getValue();
                        ps.setString(++i, row.getKey());
                        ps.setString(++i, dialect.timestampText(r.changedAt()));
                        ps.setString(++i, dialect.timestampText(r.receivedAt()));
                        ps.setString(++i, dialect.timestampText(r.dueAt()));
                        ps.setLong(++i, r.events());
                        ps.setLong(++i, r.events()); // a new row's version: its events so far
                    }
                    ps.executeUpdate();
                }
                return null;
            });
            batch.forEach(a -> a.committed().complete(null));
        } catch (SQLException | RuntimeException e) {
            batch.forEach(a -> a.committed().completeExceptionally(e));
        }
    }

    /** A table's events of one batch, merged. */
    private record Row(Instant changedAt, Instant receivedAt, Instant dueAt, long events) {
        Row merge(Row other) {
            return new Row(changedAt.isAfter(other.changedAt) ? changedAt : other.changedAt,
                    receivedAt.isBefore(other.receivedAt) ? receivedAt : other.receivedAt,
                    dueAt.isBefore(other.dueAt) ? dueAt : other.dueAt, events + other.events);
        }
    }

    private String upsert(int rows) {
        String t = TABLE + ".";
        String tuple = "(?, " + dialect.timestampParam() + ", " + dialect.timestampParam() + ", "
                + dialect.timestampParam() + ", CAST(? AS BIGINT), CAST(? AS BIGINT))";
        // a settled row, or the first event after a claim (that lookup may have been too early for it), opens a window
        String opens = t + "due_at IS NULL OR " + t + "claimed_version = " + t + "version";
        return "INSERT INTO " + TABLE + " (table_id, changed_at, received_at, due_at, events, version) VALUES "
                + String.join(", ", Collections.nCopies(rows, tuple))
                + " ON CONFLICT (table_id) DO UPDATE SET"
                + " changed_at = CASE WHEN " + t + "due_at IS NULL OR " + t + "changed_at < excluded.changed_at"
                + " THEN excluded.changed_at ELSE " + t + "changed_at END,"
                + " received_at = CASE WHEN " + opens + " THEN excluded.received_at ELSE " + t + "received_at END,"
                + " due_at = CASE WHEN " + opens + " THEN excluded.due_at ELSE " + t + "due_at END,"
                + " events = " + t + "events + excluded.events, version = " + t + "version + excluded.events";
    }

    /** Claims up to {@code limit} rows whose window has ended and that no live claim holds. */
    public List<Claimed> claim(String replica, Instant now, int limit) throws SQLException {
        String due = "SELECT table_id FROM " + TABLE + " WHERE due_at IS NOT NULL AND due_at <= " + dialect.timestampParam()
                + " AND (claimed_until IS NULL OR claimed_until < " + dialect.timestampParam() + ") ORDER BY due_at LIMIT ?"
                + (dialect == Dialect.POSTGRESQL ? " FOR UPDATE SKIP LOCKED" : "");
        String sql = "UPDATE " + TABLE + " SET claimed_by = ?, claimed_until = " + dialect.timestampParam()
                + ", claimed_version = version WHERE table_id IN (" + due + ") RETURNING table_id, version, "
                + dialect.epochMicros("changed_at") + ", " + dialect.epochMicros("received_at");
        return oneWriterOnDuckDb(() -> {
            try (Connection c = database.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, replica);
                ps.setString(2, dialect.timestampText(now.plus(LEASE)));
                ps.setString(3, dialect.timestampText(now));
                ps.setString(4, dialect.timestampText(now));
                ps.setInt(5, limit);
                List<Claimed> claimed = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        claimed.add(new Claimed(rs.getString(1), rs.getLong(2), Dialect.fromEpochMicros(rs.getLong(3)),
                                Dialect.fromEpochMicros(rs.getLong(4))));
                    }
                }
                return claimed;
            }
        });
    }

    /**
     * The claimed lookup is done: its row is settled by the next {@link #settleFinished} (unless an
     * event came after the claim: then it stays waiting, unclaimed, for the window that event opened).
     * Returns at once: the lookup's thread (the cache writer's, once the entry is committed) never
     * waits on the queue's write lock for it.
     */
    public void finished(Claimed claimed, String replica) {
        settlements.add(new Settlement(claimed, replica));
    }

    /** A finished lookup's claim, waiting for the statement that settles it with the others. */
    private record Settlement(Claimed claimed, String replica) {
    }

    /**
     * Settles every finished lookup queued so far, in one transaction. Those it could not settle
     * (the database) stay queued for the next call; their rows stay claimed until then, so
     * nothing is looked up twice meanwhile.
     *
     * @return how many were settled
     */
    public int settleFinished() throws SQLException {
        return oneWriterOnDuckDb(() -> {
            List<Settlement> batch = new ArrayList<>();
            for (Settlement one; (one = settlements.poll()) != null; ) {
                batch.add(one);
            }
            if (batch.isEmpty()) {
                return 0;
            }
            Map<String, List<Claimed>> byReplica = new TreeMap<>();
            batch.forEach(one -> byReplica.computeIfAbsent(one.replica(), k -> new ArrayList<>()).add(one.claimed()));
            try (Connection c = database.getConnection()) {
                Transaction.run(c, tx -> {
                    for (Map.Entry<String, List<Claimed>> mine : byReplica.entrySet()) {
                        List<Claimed> claims = mine.getValue();
                        for (int from = 0; from < claims.size(); from += MAX_BATCH) {
                            settle(c, dialect, mine.getKey(), claims.subList(from, Math.min(claims.size(), from + MAX_BATCH)));
                        }
                    }
                    return null;
                });
            } catch (SQLException | RuntimeException e) {
                settlements.addAll(batch);
                throw e;
            }
            return batch.size();
        });
    }

    /** Settled where no event came after the claim; the others only unclaimed, their new window open. */
    private static void settle(Connection c, Dialect dialect, String replica, List<Claimed> claims) throws SQLException {
        String marks = String.join(", ", Collections.nCopies(claims.size(), "?"));
        if (dialect == Dialect.POSTGRESQL) {
            // rows locked in table order, as the pushes' commits lock them: two replicas never wait on each other in a circle
            try (PreparedStatement ps = c.prepareStatement("SELECT table_id FROM " + TABLE + " WHERE table_id IN (" + marks
                    + ") ORDER BY table_id FOR UPDATE")) {
                int i = 0;
                for (Claimed one : claims) {
                    ps.setString(++i, one.tableId());
                }
                ps.executeQuery().close();
            }
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE + " SET due_at = NULL, claimed_by = NULL,"
                + " claimed_until = NULL, claimed_version = NULL WHERE claimed_by = ?"
                + " AND table_id || ':' || CAST(version AS VARCHAR) IN (" + marks + ")")) {
            int i = 0;
            ps.setString(++i, replica);
            for (Claimed one : claims) {
                ps.setString(++i, one.tableId() + ":" + one.version());
            }
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE + " SET claimed_by = NULL, claimed_until = NULL,"
                + " claimed_version = NULL WHERE claimed_by = ? AND table_id IN (" + marks + ")")) {
            int i = 0;
            ps.setString(++i, replica);
            for (Claimed one : claims) {
                ps.setString(++i, one.tableId());
            }
            ps.executeUpdate();
        }
    }

    /** The lookup could not be made now (the database or the service is going): tried again at {@code retryAt}. */
    public void release(Claimed claimed, String replica, Instant retryAt) throws SQLException {
        oneWriterOnDuckDb(() -> {
            try (Connection c = database.getConnection(); PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE
                    + " SET claimed_by = NULL, claimed_until = NULL, claimed_version = NULL, due_at = "
                    + dialect.timestampParam() + " WHERE table_id = ? AND claimed_by = ?")) {
                ps.setString(1, dialect.timestampText(retryAt));
                ps.setString(2, claimed.tableId());
                ps.setString(3, replica);
                ps.executeUpdate();
                return null;
            }
        });
    }

    /** At start: claims an earlier life of this replica held (it stopped or died mid-lookup) are free again. */
    public int releaseClaimsOf(String replica) throws SQLException {
        return oneWriterOnDuckDb(() -> {
            try (Connection c = database.getConnection(); PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE
                    + " SET claimed_by = NULL, claimed_until = NULL, claimed_version = NULL WHERE claimed_by = ?")) {
                ps.setString(1, replica);
                return ps.executeUpdate();
            }
        });
    }

    /** Tables waiting, claimed or not. */
    public long waiting() throws SQLException {
        try (Connection c = database.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + TABLE + " WHERE due_at IS NOT NULL")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private interface Work<T> {
        T run() throws SQLException;
    }

    /**
     * On DuckDB, one write at a time: two that meet on a row are refused ("Conflict on tuple
     * deletion") rather than queued, and only this process opens the file, so a lock of ours
     * orders them. PostgreSQL's row locks do that across replicas.
     */
    private <T> T oneWriterOnDuckDb(Work<T> work) throws SQLException {
        if (duckDbWrites == null) {
            return work.run();
        }
        duckDbWrites.lock();
        try {
            return work.run();
        } finally {
            duckDbWrites.unlock();
        }
    }
}
