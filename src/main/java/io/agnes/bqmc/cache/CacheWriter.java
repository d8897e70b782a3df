package io.agnes.bqmc.cache;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import javax.sql.DataSource;

import io.agnes.bqmc.db.Database;
import io.agnes.bqmc.db.Dialect;
import io.agnes.bqmc.db.Fence;
import io.agnes.bqmc.support.Times;
import org.apache.camel.support.service.ServiceSupport;

/**
 * Writes cache entries in batches, on a writer thread of its own: a lookup thread hands its
 * entry over and goes on to the next lookup, and the entry's future completes once it is
 * committed. Whatever queued up while one transaction ran goes into the next, and while more of a
 * run's entries are on their way the writer waits for them ({@link #LINGER_NANOS} at most). A
 * commit per row, on the lookup threads, made DuckDB's commit the bottleneck of a run
 * (docs/BENCHMARKS.md); this way the lookups never wait for the database and batches grow by
 * themselves when the writes fall behind. A failed batch is retried row by row, so one bad row
 * fails only itself.
 * <p>
 * The futures complete on the writer thread: whatever a caller chains onto them runs there.
 */
public class CacheWriter extends ServiceSupport {

    /** Rows per transaction at most: bounds the time the lock is held. */
    static final int MAX_BATCH = 500;

    /**
     * The longest an entry waits for others of its run to join its transaction. A transaction has a
     * fixed cost (on DuckDB about 5 ms of CPU: its statements and the commit), and a run's entries
     * come a few milliseconds apart at high concurrency, tens of milliseconds apart at the default
     * one: written as they come, a run at concurrency 4 spent that cost on every table
     * (docs/BENCHMARKS.md). The run says when none of its tables is still on its way, and its last
     * entries are then written at once.
     */
    static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /** How often a waiting writer asks again whether more are on their way. */
    private static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /**
     * Entries waiting at most: when the database falls this far behind, a lookup thread waits
     * to hand its entry over (back-pressure) rather than the queue growing with the run.
     */
    static final int MAX_QUEUED = 4 * MAX_BATCH;

    /** For an entry with none of its run behind it (a single table's): written at once, with whatever is queued. */
    public static final BooleanSupplier NOTHING_MORE = () -> false;

    private static final Pending STOP = new Pending(null, Fence.NONE, NOTHING_MORE);

    private final DataSource dataSource;
    private final Dialect dialect;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>(MAX_QUEUED);
    /** The writer's one thread (Camel's, in production); the loop runs on it from start to stop. */
    private final ExecutorService thread;
    private final long lingerNanos;
    private Future<?> writer;

    public CacheWriter(Database database, ExecutorService thread) {
        this(database, thread, LINGER_NANOS);
    }

    /** @param lingerNanos the longest an entry waits for others of its run ({@link #LINGER_NANOS}) */
    CacheWriter(Database database, ExecutorService thread, long lingerNanos) {
        this.dataSource = database;
        this.dialect = database.dialect();
        this.thread = thread;
        this.lingerNanos = lingerNanos;
    }

    /** @param moreComing whether more entries of the same run are on their way now: worth waiting for */
    private record Pending(CacheEntry entry, Fence fence, BooleanSupplier moreComing, CompletableFuture<Void> committed) {
        Pending(CacheEntry entry, Fence fence, BooleanSupplier moreComing) {
            this(entry, fence, moreComing, new CompletableFuture<>());
        }
    }

    /** Queues one entry of a run with more on their way, written without a fence. */
    public CompletableFuture<Void> submit(CacheEntry entry) {
        return submit(entry, Fence.NONE, () -> true);
    }

    /**
     * Queues one entry, written only while {@code fence} lets it; the future completes once it is
     * committed, or with why not.
     *
     * @param moreComing whether more entries of the same run are on their way, asked when the writer
     *                   takes this entry: while they are, it may wait for them to join this one's
     *                   transaction. Asked then rather than told now: of two entries handed over
     *                   together, the one that says "more" may arrive after the run's last.
     *                   {@link #NOTHING_MORE} for a single table's, whose caller waits for the commit
     *                   (an API request, a change event)
     */
    public CompletableFuture<Void> submit(CacheEntry entry, Fence fence, BooleanSupplier moreComing) {
        Pending p = new Pending(entry, fence, moreComing);
        if (!isRunAllowed()) {
            p.committed().completeExceptionally(new SQLException("the cache writer is stopped"));
            return p.committed();
        }
        try {
            queue.put(p);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.committed().completeExceptionally(new SQLException("interrupted while the cache writer was full"));
        }
        return p.committed();
    }

    /** Writes entries at once, on the caller's thread, in one transaction: for the stop, when the writer is gone. */
    public void writeNow(Collection<CacheEntry> entries) throws SQLException {
        if (entries.isEmpty()) {
            return;
        }
        try (Connection c = dataSource.getConnection()) {
            CacheUpserts.write(c, dialect, entries, Times.now(), Fence.NONE);
        }
    }

    /**
     * Writes many entries at a stop: a transaction per {@value #STOP_BATCH} so that each commit
     * is quick and what is written stays written, until {@code deadline} (System.nanoTime()).
     *
     * @return how many were written and, when not all, why the rest were not
     */
    public StopWrite writeBefore(List<CacheEntry> entries, long deadline) {
        int written = 0;
        try (Connection c = dataSource.getConnection()) {
            for (int from = 0; from < entries.size(); from += STOP_BATCH) {
                if (System.nanoTime() > deadline) {
                    break;
                }
                List<CacheEntry> batch = entries.subList(from, Math.min(entries.size(), from + STOP_BATCH));
                CacheUpserts.write(c, dialect, batch, Times.now(), Fence.NONE);
                written += batch.size();
            }
        } catch (SQLException | RuntimeException e) {
            return new StopWrite(written, e.getMessage());
        }
        return new StopWrite(written, written < entries.size() ? "the stop's time ran out" : null);
    }

    /** @param problem null when every entry was written */
    public record StopWrite(int written, String problem) {
    }

    /** At a stop: the run that started at {@code runStartedAt} leaves no table of the registry without an outcome. */
    public StopWrite recordUnfinishedRun(Instant runStartedAt, String error) {
        try (Connection c = dataSource.getConnection()) {
            return new StopWrite(CacheUpserts.recordUnfinishedRun(c, dialect, runStartedAt, Times.now(), error), null);
        } catch (SQLException | RuntimeException e) {
            return new StopWrite(0, e.getMessage());
        }
    }

    static final int STOP_BATCH = 5000;

    @Override
    protected void doStart() {
        writer = thread.submit(this::writeLoop);
    }

    /** Writes what is queued, then ends; an interrupt of the caller does not cut the wait short. */
    @Override
    protected void doStop() {
        boolean interrupted = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        boolean queued = false;
        while (!queued && !writer.isDone() && System.nanoTime() < deadline) {
            try {
                // a full queue: the writer empties it
                queued = queue.offer(STOP, 100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        while (!writer.isDone() && System.nanoTime() < deadline) {
            try {
                writer.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException | TimeoutException e) {
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void writeLoop() {
        List<Pending> batch = new ArrayList<>();
        while (true) {
            Pending first;
            try {
                first = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            boolean stop = first == STOP;
            if (!stop) {
                batch.add(first);
            }
            // while the newest entry says more of its run are on their way, wait for them; once one
            // says none is (the run's last for now, or a single table's), write what is queued
            BooleanSupplier moreComing = first.moreComing();
            long until = System.nanoTime() + lingerNanos;
            while (!stop && batch.size() < MAX_BATCH) {
                Pending p = next(until, moreComing);
                if (p == null) {
                    break;
                }
                if (p == STOP) {
                    stop = true;
                } else {
                    batch.add(p);
                    moreComing = p.moreComing();
                }
            }
            if (!batch.isEmpty()) {
                try {
                    writeBatch(batch);
                } catch (Throwable unexpected) {
                    // never leave a caller waiting on entries this thread can no longer write
                    batch.forEach(b -> b.committed().completeExceptionally(unexpected));
                    if (unexpected instanceof VirtualMachineError error) {
                        throw error;
                    }
                }
                batch.clear();
            }
            if (stop && queue.isEmpty()) {
                return;
            }
        }
    }

    /**
     * The next entry: one already queued, or one that comes before {@code until} while the newest
     * entry's {@code moreComing} says more are on their way (asked again every
     * {@link #RECHECK_NANOS}: a table of the run given up on its way, its run fenced off, never comes).
     */
    private Pending next(long until, BooleanSupplier moreComing) {
        Pending p = queue.poll();
        while (p == null) {
            long wait = Math.min(RECHECK_NANOS, until - System.nanoTime());
            if (wait <= 0 || !moreComing.getAsBoolean()) {
                return queue.poll();
            }
            try {
                p = queue.poll(wait, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                // write what is taken; the next take ends the loop
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return p;
    }

    /** One transaction per fence: the entries of one run, those of single refreshes, and so on. */
    private void writeBatch(List<Pending> batch) {
        Map<Fence, List<Pending>> byFence = new LinkedHashMap<>();
        batch.forEach(p -> byFence.computeIfAbsent(p.fence(), f -> new ArrayList<>()).add(p));
        byFence.values().forEach(this::writeFenced);
    }

    private void writeFenced(List<Pending> batch) {
        try {
            commit(batch);
            batch.forEach(b -> b.committed().complete(null));
        } catch (Fence.FencedOffException | NoConnectionException whole) {
            // not one row's fault: every row would fail the same way, and waiting on the pool row by row only delays it
            Throwable cause = whole instanceof NoConnectionException n ? n.getCause() : whole;
            batch.forEach(b -> b.committed().completeExceptionally(cause));
        } catch (SQLException | RuntimeException batchFailed) {
            // isolate the row (or the conflict) that failed the batch: each row alone
            for (Pending one : batch) {
                try {
                    commit(List.of(one));
                    one.committed().complete(null);
                } catch (SQLException | RuntimeException e) {
                    one.committed().completeExceptionally(e);
                }
            }
        }
    }

    private void commit(List<Pending> batch) throws SQLException {
        Connection c;
        try {
            c = dataSource.getConnection();
        } catch (SQLException e) {
            throw new NoConnectionException(e);
        }
        try (c) {
            CacheUpserts.write(c, dialect, batch.stream().map(Pending::entry).toList(), Times.now(), batch.get(0).fence());
        }
    }

    /** The pool had no connection to give: the database is unreachable, not the batch at fault. */
    private static final class NoConnectionException extends SQLException {
        NoConnectionException(SQLException cause) {
            super(cause.getMessage(), cause.getSQLState(), cause);
        }
    }
}
