package io.agnes.bqmc.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL session advisory lock, held on a connection of its own, outside the pool: the
 * server releases it the moment that session ends, so a replica that dies frees it at once.
 * <p>
 * A replica that freezes (SIGSTOP, a long pause) keeps its TCP connection, so the session is
 * ended by the server's {@code idle_session_timeout} instead: a heartbeat keeps the session
 * busy while the process runs, and once {@link #IDLE_SESSION_TIMEOUT} passes without one the
 * server ends it and the lock is free. The holder judges its own lease on its monotonic clock:
 * {@link #held()} turns false, for good, once {@link #LEASE} has passed without a successful
 * heartbeat, which is always before the server can have handed the lock to someone else.
 */
public final class AdvisoryLock implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AdvisoryLock.class);

    static final Duration HEARTBEAT = Duration.ofSeconds(3);
    static final Duration LEASE = Duration.ofSeconds(10);
    static final Duration IDLE_SESSION_TIMEOUT = Duration.ofSeconds(15);

    private final Connection connection;
    private final long key;
    private ScheduledFuture<?> heartbeat;
    /** The monotonic clock the lease is judged on: {@code System::nanoTime}, or a test's. */
    private final LongSupplier clock;
    private volatile long lastBeatNanos;
    private volatile boolean lost;
    private volatile boolean closed;

    private AdvisoryLock(Connection connection, long key, LongSupplier clock) {
        this.clock = clock;
        this.lastBeatNanos = clock.getAsLong();
        this.connection = connection;
        this.key = key;
    }

    /**
     * Takes the lock if it is free; empty when another session holds it.
     *
     * @param heartbeats where the lock's heartbeat runs, every {@link #HEARTBEAT} until it is closed or lost
     */
    public static Optional<AdvisoryLock> tryAcquire(DatabaseUrl url, long key, ScheduledExecutorService heartbeats)
            throws SQLException {
        return tryAcquire(url, key, heartbeats, System::nanoTime);
    }

    static Optional<AdvisoryLock> tryAcquire(DatabaseUrl url, long key, ScheduledExecutorService heartbeats,
                                             LongSupplier clock) throws SQLException {
        Connection c = url.connect(ConnectionPool.postgresProperties((int) LEASE.toSeconds()));
        try {
            try (Statement s = c.createStatement()) {
                s.execute("SET idle_session_timeout = " + IDLE_SESSION_TIMEOUT.toMillis());
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                ps.setLong(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        c.close();
                        return Optional.empty();
                    }
                }
            }
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
        AdvisoryLock lock = new AdvisoryLock(c, key, clock);
        synchronized (lock) {
            lock.heartbeat = heartbeats.scheduleWithFixedDelay(lock::beat, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        return Optional.of(lock);
    }

    /** Whether this process may still act as the holder; once false, it stays false. */
    public boolean held() {
        if (!lost && clock.getAsLong() - lastBeatNanos > LEASE.toNanos()) {
            lost = true;
            LOG.warn("run lock lost: no heartbeat for more than {} s", LEASE.toSeconds());
        }
        return !lost && !closed;
    }

    synchronized void beat() {
        if (closed || !held()) {
            heartbeat.cancel(false);
            return;
        }
        try (Statement s = connection.createStatement()) {
            s.execute("SELECT 1");
            lastBeatNanos = clock.getAsLong();
        } catch (SQLException e) {
            lost = true;
            heartbeat.cancel(false);
            LOG.warn("run lock lost: its session ended ({})", e.getMessage());
        }
    }

    /** Releases the lock and ends its session. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        heartbeat.cancel(false);
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
            ps.setLong(1, key);
            ps.execute();
        } catch (SQLException e) {
            // the session is gone, and the lock with it
        } finally {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // nothing more to release
            }
        }
    }
}
