package io.agnes.bqmc.refresh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.Engine;
import io.agnes.bqmc.support.LogCapture;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two services on one PostgreSQL database, their timers replaced by direct endpoints: what one
 * replica's tick does while another runs, and after it ran less than an interval ago (on the
 * database's clock). {@code ScaleOutIT} does the same with three JVMs and their failures.
 */
class ClusterRunGateTest {

    @TempDir
    Path dir;

    WireMockServer bigQuery;
    TestService a;
    TestService b;

    @BeforeEach
    void start() throws Exception {
        bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 1, 1, 0);
        Map<String, String> envA = TestService.environment(dir.resolve("a"), bigQuery.baseUrl(), Engine.POSTGRESQL);
        envA.put("REPLICA_ID", "a");
        envA.put("SCHEDULER_BQ_METADATA_REFRESH_INTERVAL", "3");
        Map<String, String> envB = TestService.environment(dir.resolve("b"), bigQuery.baseUrl());
        envB.put("DATABASE_URL", envA.get("DATABASE_URL"));
        envB.put("REPLICA_ID", "b");
        envB.put("SCHEDULER_BQ_METADATA_REFRESH_INTERVAL", "3");
        a = TestService.start(envA);
        b = TestService.start(envB);
        a.replaceTimer();
        b.replaceTimer();
        a.registerRemote("t1", "ds", "t1");
        a.registerRemote("t2", "ds", "t2");
    }

    @AfterEach
    void stop() throws Exception {
        b.close();
        a.close();
        bigQuery.stop();
    }

    List<Map<String, Object>> runs() throws Exception {
        return a.query("SELECT run_id, trigger, replica, status FROM bqmc_run_history ORDER BY started_at");
    }

    @Test
    void aTickGivesWayToARunInFlightOnAnotherReplicaAndToOneThatStartedWithinTheInterval() throws Exception {
        try (LogCapture logs = LogCapture.open()) {
            a.tick();
            assertThat(runs()).singleElement().satisfies(run -> assertThat(run)
                    .containsEntry("trigger", "timer").containsEntry("replica", "a").containsEntry("status", "finished"));
            String first = (String) runs().get(0).get("run_id");

            b.tick();
            assertThat(runs()).hasSize(1);
            assertThat(bigQuery.getAllServeEvents()).hasSize(2);
            assertThat(logs.linesContaining("bq metadata refresh skipped: run_id=" + first + " started "))
                    .singleElement().satisfies(line -> assertThat(line).startsWith("INFO ").endsWith("within the interval"));

            // once the interval (less a tenth) has passed on the database's clock, the next tick runs
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
                b.tick();
                return runs().size() == 2;
            });
            assertThat(runs().get(1)).containsEntry("replica", "b").containsEntry("trigger", "timer");
        }
    }

    @Test
    void anotherReplicaIsRefusedWithTheRunInFlightAndMakesNoRequest() throws Exception {
        WireMocks.serveAnyTable(bigQuery, 1, 1, 1500);
        CompletableFuture<RunRecord> running = CompletableFuture.supplyAsync(a::runAll);
        await().atMost(Duration.ofSeconds(10)).until(() -> !bigQuery.getAllServeEvents().isEmpty());
        String inFlight = (String) a.query("SELECT run_id FROM bqmc_run_history WHERE status = 'running'").get(0)
                .get("run_id");

        Throwable refused = catchThrowable(b::runAll);
        try (LogCapture logs = LogCapture.open()) {
            b.tick();
            assertThat(logs.linesContaining("bq metadata refresh skipped: run_id=" + inFlight + " is in flight"))
                    .hasSize(1);
        }
        RunRecord done = running.get();

        Throwable root = refused;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        assertThat(root).isInstanceOf(RefreshAlreadyRunningException.class);
        assertThat(((RefreshAlreadyRunningException) root).runId()).isEqualTo(done.runId()).isEqualTo(inFlight);
        assertThat(((RefreshAlreadyRunningException) root).startedAtText()).isEqualTo(
                io.agnes.bqmc.support.Times.iso(done.startedAt()));
        assertThat(bigQuery.getAllServeEvents()).as("only the run in flight asked BigQuery").hasSize(2);
    }
}
