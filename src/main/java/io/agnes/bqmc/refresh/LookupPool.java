package io.agnes.bqmc.refresh;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.RejectedExecutionHandler;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.ThreadPoolProfileBuilder;
import org.apache.camel.spi.ThreadPoolProfile;

/**
 * The run's lookup threads ({@code bqRefreshPool}, a pool of Camel's) and the bound on its
 * BigQuery requests: at most {@code AGNES_BQ_METADATA_REFRESH_CONCURRENCY} in flight at once
 * ({@link #inSlot}), on that many threads plus one, and a short queue. A profile's full queue
 * refuses a task or runs it on the submitting thread, past the bound; here the submitting thread
 * waits for room instead. With the split streaming its rows, that wait is the back-pressure that
 * keeps a 100,000-table run to a page of rows and a few queued tables.
 * <p>
 * The one thread more is the split's: Camel runs a parallel split's own step (take the next row,
 * hand it over, schedule itself again) as a task on this same pool, and that task spends most of
 * its time waiting for room. With exactly {@code concurrency} threads a run kept one request
 * fewer in flight than it may (docs/BENCHMARKS.md, B10). The slots, not the threads, are the bound.
 */
public final class LookupPool {

    /** Tables queued per lookup thread: enough that no thread waits for the split to hand it one. */
    static final int QUEUED_PER_THREAD = 4;

    private final ExecutorService executor;
    private final Semaphore slots;

    public LookupPool(CamelContext context, int concurrency) {
        ThreadPoolProfile profile = new ThreadPoolProfileBuilder("bqRefreshPool")
                .poolSize(concurrency + 1).maxPoolSize(concurrency + 1)
                .maxQueueSize(concurrency * QUEUED_PER_THREAD).build();
        this.executor = context.getExecutorServiceManager().newThreadPool(this, "bqmc-lookup", profile);
        if (!(executor instanceof ThreadPoolExecutor pool)) {
            throw new IllegalStateException("Camel's thread pool is a " + executor.getClass().getName()
                    + ", not a ThreadPoolExecutor whose full queue can be waited on");
        }
        pool.setRejectedExecutionHandler(new WaitForRoom());
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

    /** A full queue: the submitting thread waits for room rather than the task being refused. */
    private static final class WaitForRoom implements RejectedExecutionHandler {

        @Override
        public void rejectedExecution(Runnable task, ThreadPoolExecutor pool) {
            if (pool.isShutdown()) {
                throw new RejectedExecutionException("the lookup pool is stopped");
            }
            try {
                pool.getQueue().put(task);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RejectedExecutionException("interrupted while waiting for room in the lookup pool", e);
            }
        }
    }
}
