package io.agnes.bqmc.events;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import io.agnes.bqmc.bigquery.RequestRate;
import io.agnes.bqmc.cache.CachedTables;
import io.agnes.bqmc.refresh.RunInfo;
import io.agnes.bqmc.refresh.RunOrigin;
import io.agnes.bqmc.registry.RegistryTable;
import io.agnes.bqmc.support.LogText;
import org.apache.camel.Exchange;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of the {@code table-changes} routes: claim the tables whose debounce window has
 * ended, skip those a newer lookup already covered (a run got there first), hand the rest to the
 * single-table refresh (same pace, retries, deadlines and writer as a run, and one lookup however
 * many ask), and settle each claim when its refresh is done. The settlements of one poll's
 * period are written together at the start of the next poll (and at the stop): a refresh goes on
 * after its cache write on the writer's thread, which must not wait on the database again.
 */
public class ChangeLookups extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeLookups.class);

    /** The claimed row a lookup exchange carries. */
    static final String CLAIMED = "bqmc.claimed-change";

    /** Claims that could not be looked up now (the database, a stop) wait this long. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(10);

    /** The origin every event's refresh records: who asked is BigQuery's change, not a user. */
    static final RunOrigin ORIGIN = new RunOrigin(RunInfo.SINGLE, "event", null, null);

    private final ChangeQueue queue;
    private final CachedTables cache;
    private final ChangeMetrics metrics;
    private final String replica;
    private final Clock clock;
    private final RequestRate rate;
    private final int concurrency;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean pollFailing;
    /** Polls so far: the timer route calls {@link #claim} from one thread at a time. */
    private long polls;
    static final int COUNT_EVERY_POLLS = 2;

    /**
     * @param rate        this replica's BigQuery pace: it claims no more than that lets it start soon
     * @param concurrency lookups at once ({@code AGNES_BQ_METADATA_REFRESH_CONCURRENCY})
     */
    public ChangeLookups(ChangeQueue queue, CachedTables cache, ChangeMetrics metrics, String replica, Clock clock,
                         RequestRate rate, int concurrency) {
        this.queue = queue;
        this.cache = cache;
        this.metrics = metrics;
        this.replica = replica;
        this.clock = clock;
        this.rate = rate;
        this.concurrency = concurrency;
    }

    /**
     * Claimed tables this replica holds at most now: the lookups it can have running, plus what
     * its pace lets it start before the next poll. Tables it could not start soon are left to
     * the other replicas: one that polled first after a burst took it all and worked it off at
     * its own pace for seconds while the others idled (docs/BENCHMARKS.md, B14).
     */
    int holding() {
        double perSecond = rate.current();
        if (perSecond <= 0) {
            return ChangeRoutes.CAPACITY;
        }
        return (int) Math.min(ChangeRoutes.CAPACITY, concurrency + Math.ceil(perSecond * ChangeRoutes.POLL_MS / 1000.0));
    }

    /** At start: this replica's claims from before are free again. */
    @Override
    protected void doStart() throws SQLException {
        int freed = queue.releaseClaimsOf(replica);
        if (freed > 0) {
            LOG.info("{} table change(s) claimed before this replica last stopped are queued again", freed);
        }
    }

    /** After the routes: the lookups that finished since the last poll are settled, not looked up again after a restart. */
    @Override
    protected void doStop() {
        try {
            queue.settleFinished();
        } catch (SQLException e) {
            LOG.warn("the change lookups finished last could not be settled ({}): they are looked up again after a restart",
                    LogText.safe(e.getMessage()));
        }
    }

    /**
     * The poll: the lookups finished since the last one settled, then the due tables this replica
     * takes, as the body (a list); covered ones are settled by the next poll.
     */
    public void claim(Exchange exchange) throws SQLException {
        queue.settleFinished();
        // counted once a second, not every poll: the gauge is for dashboards
        if (polls++ % COUNT_EVERY_POLLS == 0) {
            metrics.waiting(queue.waiting());
        }
        int room = holding() - inFlight.get();
        List<ChangeQueue.Claimed> toLookUp = new ArrayList<>();
        if (room > 0 && !exchange.getContext().isStopping()) {
            List<ChangeQueue.Claimed> claimed = queue.claim(replica, clock.instant(), room);
            Map<String, Instant> refreshed = cache.refreshedAt(claimed.stream().map(ChangeQueue.Claimed::tableId).toList());
            for (ChangeQueue.Claimed c : claimed) {
                Instant last = refreshed.get(c.tableId());
                if (last != null && !last.isBefore(c.changedAt().plus(ChangeQueue.COVERED_MARGIN))) {
                    // a run or a refresh looked after the change: its numbers already show it
                    queue.finished(c, replica);
                    metrics.lookup("covered");
                } else {
                    toLookUp.add(c);
                }
            }
        }
        if (pollFailing) {
            pollFailing = false;
            LOG.info("the change queue is polled again");
        }
        inFlight.addAndGet(toLookUp.size());
        exchange.getMessage().setBody(toLookUp);
    }

    /** A poll that could not reach the database: said once until a poll gets through again. */
    public void pollFailed(Exchange exchange) {
        Exception e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        if (!pollFailing) {
            pollFailing = true;
            LOG.warn("the change queue cannot be polled ({}): trying again every poll",
                    e == null ? "unknown" : LogText.safe(e.getMessage()));
        }
    }

    /** One claimed table, made the single-table refresh's request. */
    public void prepare(Exchange exchange) {
        ChangeQueue.Claimed claimed = exchange.getMessage().getBody(ChangeQueue.Claimed.class);
        exchange.setProperty(CLAIMED, claimed);
        exchange.setProperty(RunOrigin.PROPERTY, ORIGIN);
        exchange.getMessage().setHeader(RegistryTable.ID_PARAMETER, claimed.tableId());
    }

    /** Refreshed (whatever BigQuery said: a deleted table is recorded as one): the claim is settled. */
    public void refreshed(Exchange exchange) {
        ChangeQueue.Claimed claimed = exchange.getProperty(CLAIMED, ChangeQueue.Claimed.class);
        try {
            metrics.fresh(Duration.between(claimed.receivedAt(), clock.instant()));
            queue.finished(claimed, replica);
            metrics.lookup("refreshed");
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /** The row left the registry, or stopped being a remote BigQuery table, since the event: nothing to look up. */
    public void gone(Exchange exchange) {
        ChangeQueue.Claimed claimed = exchange.getProperty(CLAIMED, ChangeQueue.Claimed.class);
        try {
            queue.finished(claimed, replica);
            metrics.lookup("gone");
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /** The refresh could not run (the database, a stop): the claim goes back, to be tried again. */
    public void failed(Exchange exchange) {
        ChangeQueue.Claimed claimed = exchange.getProperty(CLAIMED, ChangeQueue.Claimed.class);
        Exception e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        try {
            metrics.lookup("failed");
            LOG.warn("change lookup of table_id={} could not run ({}): tried again in {} s", LogText.safe(claimed.tableId()),
                    e == null ? "unknown" : LogText.safe(e.toString()), RETRY_AFTER.toSeconds());
            queue.release(claimed, replica, clock.instant().plus(RETRY_AFTER));
        } catch (SQLException released) {
            // the lease runs out and the row is claimed again
            LOG.debug("cannot release the claim of table_id={}: {}", LogText.safe(claimed.tableId()), released.toString());
        } finally {
            inFlight.decrementAndGet();
        }
    }
}
