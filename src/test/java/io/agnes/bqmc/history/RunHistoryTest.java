package io.agnes.bqmc.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.TimeZone;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.agnes.bqmc.refresh.RunOrigin;
import io.agnes.bqmc.db.Dialect;
import io.agnes.bqmc.db.Fence;
import io.agnes.bqmc.db.Transaction;
import io.agnes.bqmc.support.Engine;
import io.agnes.bqmc.support.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The run history on both engines: a run's row from {@code running} to {@code finished} or
 * {@code abandoned}, what the status and the health check read back, and every time stored as
 * the true UTC instant although the JVM runs in Europe/Prague and the test PostgreSQL in
 * America/Los_Angeles.
 */
@ParameterizedClass
@EnumSource(Engine.class)
class RunHistoryTest {

    @Parameter
    Engine engine;

    @TempDir
    Path dir;

    TestDatabase db;
    RunHistory history;

    static final Instant STARTED = Instant.parse("2026-03-29T00:30:00.123456Z"); // the night Prague moves its clocks

    @BeforeEach
    void open() throws Exception {
        db = TestDatabase.open(engine, dir);
        history = new RunHistory(db.dataSource());
    }

    @AfterEach
    void close() {
        db.close();
    }

    static RunRecord finished(String id, Instant started, int total, int succeeded) {
        return new RunRecord(id, started, started.plusSeconds(2), "timer", "timer", null, null, total, succeeded, 0,
                total - succeeded, 2000, RunRecord.FINISHED, "replica-a", 0);
    }

    /** Who started a run is kept from its start: the token's user and the request, never the token. */
    @Test
    void aRunKeepsWhoStartedIt() throws Exception {
        RunOrigin origin = RunOrigin.api("rest", "alice@example.com", false, "req-7f3a");
        history.started("aaaaaaaa", STARTED, origin, "replica-a");
        history.finished(finished("aaaaaaaa", STARTED, 1, 1));
        RunRecord kept = history.newest(1).get(0);
        assertThat(kept.trigger()).isEqualTo("rest");
        assertThat(kept.triggeredBy()).isEqualTo("api");
        assertThat(kept.caller()).isEqualTo("alice@example.com");
        assertThat(kept.requestId()).isEqualTo("req-7f3a");

        history.started("bbbbbbbb", STARTED.plusSeconds(60), RunOrigin.api("rest", "scheduler@system.local", true,
                "req-2"), "replica-a");
        history.finished(finished("bbbbbbbb", STARTED.plusSeconds(60), 1, 1));
        assertThat(history.newest(1).get(0).triggeredBy()).isEqualTo("scheduler-token");
    }

    /** A history an earlier version created gains the three columns; its rows read back with them null. */
    @Test
    void anOlderHistoryGainsTheOriginColumns() throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE bqmc_run_history");
            s.execute("CREATE TABLE bqmc_run_history (run_id VARCHAR PRIMARY KEY, started_at "
                    + db.dialect().timestampType() + " NOT NULL, finished_at " + db.dialect().timestampType() + ","
                    + " trigger VARCHAR NOT NULL, total INTEGER NOT NULL, succeeded INTEGER NOT NULL,"
                    + " no_data INTEGER NOT NULL, failed INTEGER NOT NULL, duration_ms BIGINT NOT NULL,"
                    + " status VARCHAR NOT NULL DEFAULT 'finished', replica VARCHAR, write_failed INTEGER DEFAULT 0)");
            s.execute("INSERT INTO bqmc_run_history VALUES ('olderrun', " + (db.dialect() == Dialect.POSTGRESQL
                    ? "now()" : "current_timestamp::TIMESTAMP") + ", now(), 'timer', 1, 1, 0, 0, 5, 'finished', 'r', 0)");
            RunHistory.ensure(c, db.dialect());
        }
        RunRecord older = history.newest(1).get(0);
        assertThat(older.runId()).isEqualTo("olderrun");
        assertThat(older.trigger()).isEqualTo("timer");
        assertThat(older.triggeredBy()).isNull();
        assertThat(older.caller()).isNull();
    }

    @Test
    void aRunIsInFlightUntilItFinishesAndThenShowsWithEveryField() throws Exception {
        history.started("aaaaaaaa", STARTED, RunOrigin.TIMER, "replica-a");
        assertThat(history.inFlight()).contains(new RunHistory.InFlight("aaaaaaaa", STARTED));
        assertThat(history.newest(10)).isEmpty();

        assertThat(history.finished(finished("aaaaaaaa", STARTED, 3, 2))).isTrue();

        assertThat(history.inFlight()).isEmpty();
        assertThat(history.newest(10)).containsExactly(finished("aaaaaaaa", STARTED, 3, 2));
        assertThat(history.lastSuccess()).contains(finished("aaaaaaaa", STARTED, 3, 2));
    }

    /** A run whose cache writes failed (a full disk) is kept with that count, and is no success. */
    @Test
    void aRunWhoseWritesFailedIsNoSuccess() throws Exception {
        history.started("aaaaaaaa", STARTED, RunOrigin.TIMER, "replica-a");
        history.finished(finished("aaaaaaaa", STARTED, 3, 3));
        Instant later = STARTED.plusSeconds(60);
        history.started("bbbbbbbb", later, RunOrigin.TIMER, "replica-a");
        RunRecord writesFailed = new RunRecord("bbbbbbbb", later, later.plusSeconds(2), "timer", "timer", null, null,
                3, 2, 0, 1, 2000, RunRecord.FINISHED, "replica-a", 1);
        history.finished(writesFailed);
        assertThat(history.newest(1)).containsExactly(writesFailed);
        assertThat(history.lastSuccess().orElseThrow().runId()).isEqualTo("aaaaaaaa");
    }

    @Test
    void timesAreTheTrueInstantWhateverTheZones() throws Exception {
        assertThat(TimeZone.getDefault().getID()).as("the suite's JVM zone").isEqualTo("Europe/Prague");
        history.started("aaaaaaaa", STARTED, RunOrigin.api("rest", "alice@example.com", false, "req-1"), "replica-a");
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            String utcText = db.dialect() == Dialect.POSTGRESQL
                    ? "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
                    : "CAST(started_at AS VARCHAR)";
            try (ResultSet rs = s.executeQuery("SELECT " + utcText + " FROM bqmc_run_history")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("2026-03-29 00:30:00.123456");
            }
            if (db.dialect() == Dialect.POSTGRESQL) {
                // the driver puts the session in the JVM's zone (the server's own is America/Los_Angeles):
                // a naive timestamp written through this session would land an hour off
                try (ResultSet rs = s.executeQuery("SELECT current_setting('TimeZone'),"
                        + " extract(epoch FROM CAST('2026-03-29 00:30:00.123456' AS timestamptz))")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("Europe/Prague");
                    assertThat(rs.getBigDecimal(2).movePointRight(6).longValueExact())
                            .isEqualTo(Dialect.epochMicros(STARTED) - 3_600_000_000L);
                }
                // what the platform's readers see: the same instant
                try (ResultSet rs = s.executeQuery("SELECT extract(epoch FROM started_at) FROM bqmc_run_history")) {
                    rs.next();
                    assertThat(rs.getBigDecimal(1).movePointRight(6).longValueExact())
                            .isEqualTo(Dialect.epochMicros(STARTED));
                }
            }
        }
        assertThat(history.inFlight().orElseThrow().startedAt()).isEqualTo(STARTED);
    }

    @Test
    void runsStillRunningAreAbandonedByWhoeverRunsNext() throws Exception {
        history.started("dead0001", STARTED, RunOrigin.TIMER, "replica-a");
        Instant now = STARTED.plus(Duration.ofMinutes(5));

        assertThat(history.abandonRunning(now)).isEqualTo(1);

        RunRecord dead = history.newest(1).get(0);
        assertThat(dead.status()).isEqualTo("abandoned");
        assertThat(dead.finishedAt()).isEqualTo(now);
        assertThat(dead.durationMs()).isEqualTo(Duration.ofMinutes(5).toMillis());
        assertThat(dead.successful()).isFalse();
        // the dead run cannot complete its row later: it stays abandoned
        assertThat(history.finished(finished("dead0001", STARTED, 1, 1))).isFalse();
        assertThat(history.newest(1).get(0).status()).isEqualTo("abandoned");
        assertThat(history.abandonRunning(now)).isZero();
    }

    @Test
    void theNewestRunsFirstKeepingTwoHundred() throws Exception {
        for (int i = 0; i < 205; i++) {
            Instant at = STARTED.plusSeconds(60L * i);
            history.started("run" + i, at, RunOrigin.TIMER, "replica-a");
            history.finished(finished("run" + i, at, 1, i == 100 ? 1 : 0));
        }
        assertThat(history.newest(500)).hasSize(200);
        assertThat(history.newest(2)).extracting(RunRecord::runId).containsExactly("run204", "run203");
        assertThat(history.lastSuccess().orElseThrow().runId()).isEqualTo("run100");
    }

    @Test
    void aRunThatStartedWithinTheWindowIsJudgedOnTheDatabasesClock() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        history.started("recent01", now.minusSeconds(30), RunOrigin.TIMER, "replica-a");
        assertThat(history.startedWithin(Duration.ofMinutes(1))).map(RunHistory.InFlight::runId).contains("recent01");
        assertThat(history.startedWithin(Duration.ofSeconds(10))).isEmpty();
    }

    @Test
    void aFencedWriteGoesOnOnlyWhileItsRunIsInFlightAndHoldsOffTheTakeOver() throws Exception {
        Assumptions.assumeTrue(engine == Engine.POSTGRESQL, "fencing is for replicas sharing PostgreSQL");
        history.started("mine0001", STARTED, RunOrigin.TIMER, "replica-a");
        Fence fence = history.fence("mine0001");

        CompletableFuture<Integer> takeOver;
        try (Connection writer = db.dataSource().getConnection()) {
            writer.setAutoCommit(false);
            fence.check(writer);
            // another replica takes over while the write's transaction is open: it waits for it
            takeOver = CompletableFuture.supplyAsync(() -> {
                try {
                    return history.abandonRunning(Instant.now());
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(300);
            assertThat(takeOver).as("the take-over waits for the write in flight").isNotDone();
            writer.commit();
        }
        assertThat(takeOver.get(10, TimeUnit.SECONDS)).isEqualTo(1);

        try (Connection late = db.dataSource().getConnection()) {
            Throwable refused = catchThrowable(() -> Transaction.run(late, c -> {
                fence.check(c);
                return null;
            }));
            assertThat(refused).isInstanceOf(Fence.FencedOffException.class)
                    .hasMessageContaining("mine0001 is no longer the run in flight");
        }
    }
}
