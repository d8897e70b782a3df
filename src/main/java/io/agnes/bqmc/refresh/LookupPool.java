package io.agnes.bqmc.refresh;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.apache.camel.CamelContext;

/**
 * The run's lookup threads ({@code bqRefreshPool}) and the bound on its BigQuery requests: at
 * most {@code AGNES_BQ_METADATA_REFRESH_CONCURRENCY} in flight at once ({@link #inSlot}), on that
 * many threads plus one, and a short queue whose {@code offer} waits for room. With the split
 * streaming its rows, that wait is the back-pressure that keeps a run to a page of rows and a
 * few queued tables. A Camel thread pool profile cannot express it (a full queue there refuses
 * the task or runs it on the submitting thread, past the bound), and a Camel pool with a
 * rejection handler that waits made a large run slower (docs/BENCHMARKS.md, B10):
 * so the executor is the JDK's, its threads Camel's ({@code ExecutorServiceManager.newThread}),
 * and the wiring shuts it down with the context.
 * <p>
 * The one thread more is the split's: Camel runs a parallel split's own step (take the next row,
 * hand it over, schedule itself again) as a task on this same pool, and that task spends most of
 * its time waiting for room. With exactly {@code concurrency} threads a run kept one request
 * fewer in flight than it may (docs/BENCHMARKS.md, B10). The slots, not the threads, are the bound.
 */
public final class LookupPool {

    /** Tables queued per lookup thread: enough that no thread waits for the split to hand it one. */
    static final int QUEUED_PER_THREAD = 4;

    private final ThreadPoolExecutor executor;
    private final Semaphore slots;

    public LookupPool(CamelContext context, int concurrency) {
        this.executor = new ThreadPoolExecutor(concurrency + 1, concurrency + 1, 60, TimeUnit.SECONDS,
                new WaitingQueue(concurrency * QUEUED_PER_THREAD),
                task -> context.getExecutorServiceManager().newThread("bqmc-lookup", task));
        this.slots = new Semaphore(concurrency);
    }

    /** The executor the run's split hands its tables to. */
    public ExecutorService executor() {
        return executor;
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
}
