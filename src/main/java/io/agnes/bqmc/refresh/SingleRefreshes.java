package io.agnes.bqmc.refresh;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Single-table refreshes, bounded like a run: at most {@code AGNES_BQ_METADATA_REFRESH_CONCURRENCY}
 * at once, and concurrent refreshes of the same table share one lookup and its answer. (100
 * concurrent calls for one table had made 100 identical BigQuery calls, and an analyst's status
 * waited 11.6 s behind them.) A hand-written semaphore rather than the throttle EIP's
 * concurrent mode: that one forgets a permit held past ten seconds (CAMEL-24926), and a lookup
 * with retries holds one that long.
 */
public class SingleRefreshes {

    /** A caller waits this long for a free slot, then gets a 503 rather than a hung request. */
    static final long WAIT_SECONDS = 60;

    private final Semaphore slots;
    private final ConcurrentHashMap<String, CompletableFuture<TableRefreshResult>> inFlight = new ConcurrentHashMap<>();

    public SingleRefreshes(int concurrency) {
        this.slots = new Semaphore(concurrency, true);
    }

    /** The table's refresh: this caller's own, or the one already in flight for it. */
    public TableRefreshResult refresh(String tableId, Callable<TableRefreshResult> work) throws Exception {
        CompletableFuture<TableRefreshResult> mine = new CompletableFuture<>();
        CompletableFuture<TableRefreshResult> running = inFlight.putIfAbsent(tableId, mine);
        if (running != null) {
            return joined(running);
        }
        try {
            if (!slots.tryAcquire(WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new RefreshBusyException(WAIT_SECONDS);
            }
            try {
                TableRefreshResult result = work.call();
                mine.complete(result);
                return result;
            } finally {
                slots.release();
            }
        } catch (Exception | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(tableId, mine);
        }
    }

    private static TableRefreshResult joined(CompletableFuture<TableRefreshResult> running) throws Exception {
        try {
            return running.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }
}
