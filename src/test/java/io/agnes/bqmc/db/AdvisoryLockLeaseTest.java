package io.agnes.bqmc.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.agnes.bqmc.support.Postgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The run lock's lease on a clock the test moves, with the lock itself on a real PostgreSQL:
 * held while heartbeats come, lost for good once a lease passes without one (always before the
 * server could hand the lock to another replica), and free for the next holder once closed. The
 * heartbeat is called by the test; its own schedule (every 3 s) never comes due in it.
 */
class AdvisoryLockLeaseTest {

    static final long KEY = 4_242_424_242L;

    final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor();
    long now = 1_000_000_000L;

    @AfterEach
    void stop() {
        heartbeats.shutdownNow();
    }

    @Test
    void heldWhileItBeatsLostForGoodAfterALeaseWithoutAndFreeOnceClosed() throws Exception {
        Postgres pg = Postgres.shared();
        DatabaseUrl url = DatabaseUrl.parse(pg.platformUrl(pg.createDatabase()));
        AdvisoryLock lock = AdvisoryLock.tryAcquire(url, KEY, heartbeats, () -> now).orElseThrow();
        try {
            assertThat(lock.held()).isTrue();
            assertThat(AdvisoryLock.tryAcquire(url, KEY, heartbeats)).as("another session is refused").isEmpty();

            now += AdvisoryLock.LEASE.toNanos() - TimeUnit.MILLISECONDS.toNanos(1);
            assertThat(lock.held()).as("within the lease").isTrue();
            lock.beat();
            now += AdvisoryLock.LEASE.toNanos() - TimeUnit.MILLISECONDS.toNanos(1);
            assertThat(lock.held()).as("a heartbeat renewed it").isTrue();

            now += TimeUnit.MILLISECONDS.toNanos(2);
            assertThat(lock.held()).as("a lease without a heartbeat").isFalse();
            lock.beat();
            assertThat(lock.held()).as("lost for good: a late heartbeat does not bring it back").isFalse();
            assertThat(AdvisoryLock.LEASE).as("judged lost before the server ends the session")
                    .isLessThan(AdvisoryLock.IDLE_SESSION_TIMEOUT);
        } finally {
            lock.close();
        }
        Optional<AdvisoryLock> next = AdvisoryLock.tryAcquire(url, KEY, heartbeats);
        assertThat(next).as("free once closed").isPresent();
        next.get().close();
    }
}
