package io.agnes.bqmc.refresh;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.agnes.bqmc.db.AdvisoryLock;
import io.agnes.bqmc.db.DatabaseUrl;
import io.agnes.bqmc.db.Fence;
import io.agnes.bqmc.history.RunHistory;
import io.agnes.bqmc.support.Times;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The slot across every replica on one PostgreSQL database: a session advisory lock on a
 * connection of its own ({@link AdvisoryLock}), plus the run's {@code running} row in
 * {@code bqmc_run_history}, which names it to the replicas that are refused. Whoever takes the
 * lock marks any run still {@code running} as abandoned: its replica died or froze, or it
 * would still hold the lock. A tick also gives way when a run started less than an interval
 * ago on the database's clock, so N replicas, each with its own timer, make one run per
 * interval rather than N.
 */
public class ClusterRunGate implements RunGate {

    private static final Logger LOG = LoggerFactory.getLogger("io.agnes.bqmc.refresh");

    /** The advisory lock's key: "bqmc" in ASCII. Every replica of this service on one database shares it. */
    static final long LOCK_KEY = 0x62716d63L;

    /** How long a refused caller waits for the holder's row to name its run. */
    private static final Duration ROW_WAIT = Duration.ofSeconds(2);

    private record Held(RunInfo run, AdvisoryLock lock) {
    }

    private final DatabaseUrl url;
    private final RunHistory history;
    private final Duration notDueWindow;
    private final ScheduledExecutorService heartbeats;
    private volatile Held held;

    /**
     * @param interval the timer's interval; a tick gives way to a run that started less than
     *                 this ago, less a tenth (at most a minute) for the timers' own jitter
     * @param heartbeats where the held lock's heartbeat runs
     */
    public ClusterRunGate(DatabaseUrl url, RunHistory history, Duration interval, ScheduledExecutorService heartbeats) {
        this.url = url;
        this.heartbeats = heartbeats;
        this.history = history;
        Duration slack = interval.dividedBy(10);
        this.notDueWindow = interval.minus(slack.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : slack);
    }

    @Override
    public synchronized RunInfo enter(RunOrigin origin) {
        Held mine = held;
        if (mine != null) {
            throw new RefreshAlreadyRunningException(mine.run().runId(), mine.run().startedAt());
        }
        AdvisoryLock lock;
        try {
            Optional<AdvisoryLock> acquired = AdvisoryLock.tryAcquire(url, LOCK_KEY, heartbeats);
            if (acquired.isEmpty()) {
                throw inFlightElsewhere();
            }
            lock = acquired.get();
        } catch (SQLException e) {
            throw new RefreshUnavailableException(e);
        }
        try {
            if (origin.tick()) {
                Optional<RunHistory.InFlight> recent = history.startedWithin(notDueWindow);
                if (recent.isPresent()) {
                    lock.close();
                    throw new RefreshNotDueException(recent.get().runId(),
                            Duration.between(recent.get().startedAt(), Instant.now()));
                }
            }
            int abandoned = history.abandonRunning(Times.now());
            if (abandoned > 0) {
                LOG.warn("bq metadata refresh: marked {} run(s) abandoned: their replica stopped holding the run lock"
                        + " before they finished", abandoned);
            }
            String runId = RunInfo.newId();
            RunInfo run = RunInfo.start(runId, origin, new Lease(lock, history.fence(runId)));
            held = new Held(run, lock);
            return run;
        } catch (SQLException e) {
            lock.close();
            throw new RefreshUnavailableException(e);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** Another replica holds the lock: its row names its run, as soon as it wrote it. */
    private RefreshRefusedException inFlightElsewhere() throws SQLException {
        long deadline = System.nanoTime() + ROW_WAIT.toNanos();
        while (true) {
            Optional<RunHistory.InFlight> row = history.inFlight();
            if (row.isPresent()) {
                return new RefreshAlreadyRunningException(row.get().runId(), row.get().startedAt());
            }
            if (System.nanoTime() > deadline) {
                return new RefreshAlreadyRunningException(null, null);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new RefreshAlreadyRunningException(null, null);
            }
        }
    }

    @Override
    public synchronized void leave(RunInfo run) {
        Held mine = held;
        if (mine != null && mine.run() == run) {
            held = null;
            mine.lock().close();
        }
    }

    @Override
    public Optional<RunInfo> current() {
        Held mine = held;
        return Optional.ofNullable(mine == null ? null : mine.run());
    }

    private record Lease(AdvisoryLock lock, Fence fence) implements RunLease {
        @Override
        public boolean held() {
            return lock.held();
        }
    }
}
