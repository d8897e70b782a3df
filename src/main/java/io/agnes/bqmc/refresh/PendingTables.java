package io.agnes.bqmc.refresh;

import java.util.ArrayList;
import java.util.Collection;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tables a run (or a single refresh) has taken on and not yet written. If the service
 * stops before they are done, they are recorded as failures instead of silently left as they
 * were: an operator then sees that the run did not finish.
 */
public class PendingTables {

    /** The error recorded for a table whose refresh the stop cut short. */
    public static final String INTERRUPTED = "refresh interrupted: the service stopped before this table was refreshed";

    private final ConcurrentHashMap<String, Integer> pending = new ConcurrentHashMap<>();
    /** Tables of the run in flight taken on and not yet at the cache writer: its entries still to come. */
    private final AtomicInteger beforeTheWriter = new AtomicInteger();
    /** When the run in flight started, or null between runs. */
    private volatile Instant runStartedAt;

    /**
     * A run is in flight since {@code startedAt} (null: it ended). At a stop, every remote table
     * that it has not written since then is recorded as interrupted, in one statement
     * (CacheUpserts.recordUnfinishedRun), however many there are.
     */
    public void run(Instant startedAt) {
        runStartedAt = startedAt;
        beforeTheWriter.set(0);
    }

    /** When the run in flight started, or null; forgotten once asked at a stop. */
    public Instant takeRun() {
        Instant started = runStartedAt;
        runStartedAt = null;
        return started;
    }

    public void add(Collection<String> tableIds) {
        tableIds.forEach(this::add);
    }

    public void add(String tableId) {
        pending.merge(tableId, 1, Integer::sum);
    }

    /** A table of the run in flight is taken on: its entry is on its way to the cache writer. */
    public void addRunTable(String tableId) {
        add(tableId);
        beforeTheWriter.incrementAndGet();
    }

    /** One of the run's tables reached the cache writer (written or given up). */
    public void reachedTheWriter() {
        beforeTheWriter.decrementAndGet();
    }

    /** Whether tables of the run are still on their way to the cache writer: worth its waiting for. */
    public boolean runTablesOnTheirWay() {
        return beforeTheWriter.get() > 0;
    }

    public void done(String tableId) {
        pending.computeIfPresent(tableId, (id, n) -> n > 1 ? n - 1 : null);
    }

    /** How many tables are taken on and not yet written (not counting the rows not taken yet). */
    public int size() {
        return pending.size();
    }

    /** Takes every table still pending (a run's taken ones, single refreshes). */
    public List<String> drain() {
        List<String> ids = new ArrayList<>(pending.keySet());
        ids.forEach(pending::remove);
        return ids;
    }
}
