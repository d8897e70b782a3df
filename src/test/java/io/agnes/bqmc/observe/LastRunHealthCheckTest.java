package io.agnes.bqmc.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;

import com.zaxxer.hikari.HikariDataSource;
import io.agnes.bqmc.history.RunHistory;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.db.Dialect;
import io.agnes.bqmc.refresh.LocalRunGate;
import io.agnes.bqmc.refresh.SingleFlightRoutePolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.impl.DefaultCamelContext;
import io.agnes.bqmc.support.MovableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The last-run readiness check: UP in the grace period and while runs succeed, DOWN after 2 x interval without one. */
class LastRunHealthCheckTest {

    @TempDir
    Path dir;


    @Test
    void downWhenNoSuccessfulRunWithinTwiceTheInterval() throws Exception {
        // interval 100 s, grace 10 s: the first run is due at t=10 s, DOWN from t=210 s without success
        Instant start = Instant.parse("2026-11-27T10:00:00Z");
        MovableClock clock = new MovableClock(start);
        try (HikariDataSource ds = new HikariDataSource(); DefaultCamelContext context = new DefaultCamelContext()) {
            ds.setJdbcUrl("jdbc:duckdb:" + dir.resolve("h.duckdb"));
            try (Connection c = ds.getConnection()) {
                RunHistory.ensure(c, Dialect.DUCKDB);
                io.agnes.bqmc.registry.RegistryTable.createOnDuckDb(c, Dialect.DUCKDB);
                io.agnes.bqmc.cache.CacheSchema.ensure(c, Dialect.DUCKDB);
            }
            io.agnes.bqmc.db.Database database = io.agnes.bqmc.db.Database.using(ds);
            RefreshMetrics monitor = new RefreshMetrics(new SimpleMeterRegistry(),
                    new SingleFlightRoutePolicy(new LocalRunGate()), new RunHistory(database), () -> true,
                    Duration.ofSeconds(100), "r1", clock, context.getExecutorServiceManager().newSingleThreadExecutor(this,
                    "reader"), new io.agnes.bqmc.cache.CachedTables(database, Duration.ofSeconds(200)),
                    new io.agnes.bqmc.refresh.RunProgress("r1"));
            LastRunHealthCheck check = new LastRunHealthCheck(monitor, Duration.ofSeconds(10), Duration.ofSeconds(200),
                    clock);
            check.setCamelContext(context);

            assertThat(check.call().getState()).isEqualTo(HealthCheck.State.UP);
            clock.set(start.plusSeconds(209));
            assertThat(check.call().getState()).as("still within grace + 2 x interval").isEqualTo(HealthCheck.State.UP);
            clock.set(start.plusSeconds(211));
            HealthCheck.Result down = check.call();
            assertThat(down.getState()).isEqualTo(HealthCheck.State.DOWN);
            assertThat(down.getMessage()).hasValueSatisfying(m -> assertThat(m).contains("no successful refresh run"));

            // a run where every table failed does not count; one that refreshed a table does
            monitor.runFinished(new RunRecord("aaaaaaaa", clock.instant(), clock.instant(), "timer", 3, 0, 0, 3, 10,
                    RunRecord.FINISHED, "r1"));
            assertThat(check.call().getState()).isEqualTo(HealthCheck.State.DOWN);
            monitor.runFinished(new RunRecord("bbbbbbbb", clock.instant(), clock.instant(), "timer", 3, 1, 0, 2, 10,
                    RunRecord.FINISHED, "r1"));
            HealthCheck.Result up = check.call();
            assertThat(up.getState()).isEqualTo(HealthCheck.State.UP);
            assertThat(up.getDetails()).containsEntry("last_run_id", "bbbbbbbb")
                    .containsEntry("last_run_outcome", "total=3 ok=1 no_data=0 failed=2");

            clock.set(clock.instant().plusSeconds(201));
            assertThat(check.call().getState()).as("the success is older than 2 x interval").isEqualTo(HealthCheck.State.DOWN);
        }
    }
}
