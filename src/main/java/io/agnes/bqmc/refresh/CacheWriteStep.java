package io.agnes.bqmc.refresh;

import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.concurrent.CompletionException;

import io.agnes.bqmc.cache.CacheEntry;
import io.agnes.bqmc.cache.CacheWriter;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.support.service.ServiceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache write as an asynchronous step of the refresh-table route: it hands the table's
 * entry to the {@link CacheWriter} and releases the lookup thread at once. Its lifecycle is the
 * route's: it starts the writer, and when the route stops (after the run in flight had its
 * grace) it lets the writer commit what is queued, then records every table the run took on and
 * never wrote as interrupted, so the stop leaves a trace and the last good numbers.
 */
public class CacheWriteStep extends AsyncProcessorSupport {

    private static final Logger LOG = LoggerFactory.getLogger("io.agnes.bqmc.refresh");

    private final CacheWriter writer;
    private final PendingTables pending;

    public CacheWriteStep(CacheWriter writer, PendingTables pending) {
        this.writer = writer;
        this.pending = pending;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        TableRefresh refresh = RefreshSteps.table(exchange);
        if (!refresh.single() && refresh.reachesTheWriter()) {
            pending.reachedTheWriter(); // once, though a write that conflicted comes here again
        }
        if (refresh.fencedOff() || !refresh.mayGoOn()) {
            callback.done(true);
            return true;
        }
        // The exchange goes on once the entry is committed, on the writer's thread: the rest of
        // the table's route, and, for the table that completes a split, the tail of the whole
        // run (summary, history row, the API's answer) run there.
        writer.submit(refresh.cacheEntry(), refresh.run().lease().fence(),
                refresh.single() ? CacheWriter.NOTHING_MORE : pending::runTablesOnTheirWay).whenComplete((ok, failure) -> {
            if (failure != null) {
                exchange.setException(failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure);
            }
            callback.done(false);
        });
        return false;
    }

    @Override
    protected void doStart() {
        ServiceHelper.startService(writer);
    }

    /** How long recording the unfinished tables may take at a stop (the supervisor's budget is 30 s). */
    static final long RECORD_SECONDS = 10;

    @Override
    protected void doStop() {
        // an interrupt of the stopping thread must not cost the bookkeeping: noted, and restored after it
        boolean interrupted = Thread.interrupted();
        try {
            ServiceHelper.stopService(writer);
        } catch (RuntimeException e) {
            LOG.warn("the cache writer did not stop cleanly: {}", e.getMessage());
        }
        interrupted |= Thread.interrupted();
        try {
            List<String> unfinished = pending.drain();
            Instant runStartedAt = pending.takeRun();
            int recorded = 0;
            if (!unfinished.isEmpty()) {
                CacheWriter.StopWrite taken = writer.writeBefore(
                        unfinished.stream().map(id -> CacheEntry.failure(id, PendingTables.INTERRUPTED)).toList(),
                        System.nanoTime() + TimeUnit.SECONDS.toNanos(RECORD_SECONDS));
                recorded += taken.written();
                if (taken.problem() != null) {
                    LOG.error("stopped during a refresh: {} table(s) being refreshed could not be recorded as"
                            + " interrupted ({}): they keep their last state", unfinished.size() - taken.written(),
                            taken.problem());
                }
            }
            if (runStartedAt != null) {
                // the run's tables not taken yet, however many: one statement
                CacheWriter.StopWrite rest = writer.recordUnfinishedRun(runStartedAt, PendingTables.INTERRUPTED);
                recorded += rest.written();
                if (rest.problem() != null) {
                    LOG.error("stopped during a refresh: the run's tables not reached yet could not be recorded as"
                            + " interrupted ({}): they keep their last state", rest.problem());
                }
            }
            if (recorded > 0) {
                LOG.warn("stopped during a refresh: {} table(s) recorded as interrupted", recorded);
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
