package io.agnes.bqmc.refresh;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.support.LogCapture;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Contract section 8: the timer runs by itself, and a tick during a run is skipped, not queued. */
class TimerTest {

    @TempDir
    Path dir;

    WireMockServer bigQuery;

    @BeforeEach
    void startBigQuery() {
        bigQuery = WireMocks.startBigQuery();
    }

    @AfterEach
    void stop() {
        bigQuery.stop();
    }

    void serveWithDelay(int delayMs) {
        WireMocks.serveAnyTable(bigQuery, 1, 1, delayMs);
    }

    static void await(BooleanSupplier condition, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    @Test
    void runsAfterTheGraceThenEveryInterval() throws Exception {
        serveWithDelay(0);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("SCHEDULER_STARTUP_GRACE_SECONDS", "1");
        env.put("SCHEDULER_BQ_METADATA_REFRESH_INTERVAL", "1");
        try (LogCapture logs = LogCapture.open(); TestService service = TestService.start(env)) {
            service.registerRemote("t", "ds", "t");
            await(() -> logs.linesContaining("bq metadata refresh: run_id=").size() >= 2, 15);
            List<String> summaries = logs.linesContaining("bq metadata refresh: run_id=");
            assertThat(summaries).hasSizeGreaterThanOrEqualTo(2);
            assertThat(summaries.get(0)).matches(
                    ".*bq metadata refresh: run_id=[0-9a-f]{8} total=\\d+ ok=\\d+ no_data=0 failed=0 duration_ms=\\d+");
            assertThat(logs.linesContaining("bq metadata refresh table: run_id=")).allSatisfy(line -> assertThat(line)
                    .matches(".*bq metadata refresh table: run_id=[0-9a-f]{8} table_id=t status=ok fetch_ms=\\d+ total_ms=\\d+"));
            assertThat(bigQuery.getAllServeEvents()).isNotEmpty();
        }
    }

    @Test
    void aTickDuringARunIsSkippedWithOneInfoLine() throws Exception {
        // the manual run starts at once and lasts 4.5 s (under the 5 s timeout); the timer fires 3 s after start
        serveWithDelay(4500);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("SCHEDULER_STARTUP_GRACE_SECONDS", "3");
        try (LogCapture logs = LogCapture.open(); TestService service = TestService.start(env)) {
            service.registerRemote("t", "ds", "t");
            CompletableFuture<RunSummary> manual = CompletableFuture.supplyAsync(service::runAll);
            RunSummary summary = manual.get(30, TimeUnit.SECONDS);
            List<String> skipped = logs.linesContaining("bq metadata refresh skipped");
            assertThat(skipped).hasSize(1);
            assertThat(skipped.get(0)).startsWith("INFO ").contains("run_id=" + summary.runId());
            assertThat(bigQuery.getAllServeEvents()).hasSize(1);
        }
    }
}
