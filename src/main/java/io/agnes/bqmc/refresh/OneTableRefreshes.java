package io.agnes.bqmc.refresh;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import io.agnes.bqmc.registry.RegistryTable;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * Single-table refreshes, bounded like a run: at most {@code AGNES_BQ_METADATA_REFRESH_CONCURRENCY}
 * at once, and concurrent refreshes of the same table share one lookup and its answer. (100
 * concurrent calls for one table had made 100 identical BigQuery calls, and an analyst's status
 * waited 11.6 s behind them.) A hand-written semaphore rather than the throttle EIP's
 * concurrent mode: that one forgets a permit held past ten seconds (CAMEL-24926), and a lookup
 * with retries holds one that long.
 * <p>
 * Two steps of the {@code refresh-one} route: {@link #enter} at its start, {@link #answered} at
 * its end. The slot is given back when the caller's exchange completes, however it ends.
 */
public class OneTableRefreshes {

    /** A caller waits this long for a free slot, then gets a 503 rather than a hung request. */
    static final long WAIT_SECONDS = 60;

    /** Set when this exchange took its answer from a refresh of the same table already in flight. */
    public static final String JOINED = "bqmc.single-refresh-joined";

    private static final String MINE = "bqmc.single-refresh";

    private final Semaphore slots;
    private final ConcurrentHashMap<String, CompletableFuture<TableRefreshResult>> inFlight = new ConcurrentHashMap<>();

    public OneTableRefreshes(int concurrency) {
        this.slots = new Semaphore(concurrency, true);
    }

    /**
     * This exchange's table: its answer taken from the refresh already in flight (and
     * {@link #JOINED} set), or a slot taken for this exchange's own refresh.
     *
     * @throws RefreshBusyException when no slot frees up in time
     */
    public void enter(Exchange exchange) throws Exception {
        String tableId = exchange.getMessage().getHeader(RegistryTable.ID_PARAMETER, String.class);
        CompletableFuture<TableRefreshResult> mine = new CompletableFuture<>();
        CompletableFuture<TableRefreshResult> running = inFlight.putIfAbsent(tableId, mine);
        if (running != null) {
            exchange.getMessage().setBody(joined(running));
            exchange.setProperty(JOINED, true);
            return;
        }
        try {
            if (!slots.tryAcquire(WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new RefreshBusyException(WAIT_SECONDS);
            }
        } catch (Exception e) {
            inFlight.remove(tableId, mine);
            mine.completeExceptionally(e);
            throw e;
        }
        exchange.setProperty(MINE, mine);
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                if (!mine.isDone()) {
                    Exception e = done.getException() != null ? done.getException()
                            : done.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
                    mine.completeExceptionally(e != null ? e
                            : new IllegalStateException("the refresh of " + tableId + " ended without an answer"));
                }
                inFlight.remove(tableId, mine);
                slots.release();
            }
        });
    }

    /** The end of this exchange's own refresh: whoever joined it gets its answer now. */
    @SuppressWarnings("unchecked")
    public void answered(Exchange exchange) {
        CompletableFuture<TableRefreshResult> mine = exchange.getProperty(MINE, CompletableFuture.class);
        if (mine != null) {
            mine.complete(exchange.getMessage().getBody(TableRefreshResult.class));
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
