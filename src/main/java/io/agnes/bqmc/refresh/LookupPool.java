package io.agnes.bqmc.refresh;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The run's lookup threads ({@code bqRefreshPool}) and the bound on its BigQuery requests:
 * at most {@code AGNES_BQ_METADATA_REFRESH_CONCURRENCY} in flight at once ({@link #slots}), on
 * that many threads plus one, and a short queue whose {@code offer} waits for room. With the
 * split streaming its rows, that wait is the back-pressure that keeps a 100,000-table run to a
 * page of rows and a few queued tables. A Camel thread pool profile cannot express it: a full
 * queue there either rejects the task or runs it on the submitting thread, past the bound.
 * <p>
 * The one thread more is the split's: Camel runs a parallel split's own step (take the next
 * row, hand it over, schedule itself again) as a task on this same pool, and that task spends
 * most of its time waiting for room in the queue. With exactly {@code concurrency} threads, one
 * of them was nearly always that task, and a run at concurrency 32 made 31 requests at a time
 * (docs/BENCHMARKS.md, B10). The slots, not the thread count, are the bound.
 */
public final class LookupPool extends ThreadPoolExecutor {

    /** Tables queued per lookup thread: enough that no thread waits for the split to hand it one. */
    static final int QUEUED_PER_THREAD = 4;

    private final Semaphore slots;

    public LookupPool(int concurrency) {
        super(concurrency + 1, concurrency + 1, 60, TimeUnit.SECONDS,
                new WaitingQueue(concurrency * QUEUED_PER_THREAD), new Named());
        this.slots = new Semaphore(concurrency);
    }

    /** Runs one BigQuery attempt of a run inside one of the run's {@code concurrency} slots. */
    void inSlot(Runnable attempt) {
        slots.acquireUninterruptibly();
        try {
            attempt.run();
        } finally {
            slots.release();
        }
    }

    /** A bounded queue whose {@code offer}, which the executor calls, waits for room instead of refusing. */
    private static final class WaitingQueue extends LinkedBlockingQueue<Runnable> {

        WaitingQueue(int capacity) {
            super(capacity);
        }

        @Override
        public boolean offer(Runnable task) {
            try {
                put(task);
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private static final class Named implements java.util.concurrent.ThreadFactory {
        private final AtomicInteger n = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "bqmc-lookup-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
