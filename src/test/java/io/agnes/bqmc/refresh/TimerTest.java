package io.agnes.bqmc.refresh;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.support.LogCapture;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.apache.camel.component.timer.TimerEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Contract section 8, without waiting on the wall clock: the timer is configured from the
 * grace and the interval, and a tick (the timer replaced by a direct endpoint) runs a refresh
 * that logs the contract's lines. A tick during a run is covered by {@link SingleFlightTest}.
 */
class TimerTest {

    @TempDir
    Path dir;

    WireMockServer bigQuery;

    @BeforeEach
    void startBigQuery() {
        bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 1, 1, 0);
    }

    @AfterEach
    void stop() {
        bigQuery.stop();
    }

    @Test
    void theTimerFiresAfterTheGraceThenEveryInterval() throws Exception {
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("SCHEDULER_STARTUP_GRACE_SECONDS", "7");
        env.put("SCHEDULER_BQ_METADATA_REFRESH_INTERVAL", "90");
        try (TestService service = TestService.start(env)) {
            TimerEndpoint timer = (TimerEndpoint) service.context().getRoute(TestService.TIMER_ROUTE).getEndpoint();
            assertThat(timer.getDelay()).isEqualTo(7_000);
            assertThat(timer.getPeriod()).isEqualTo(90_000);
        }
    }

    @Test
    void aTickRunsARefreshThatLogsALinePerTableAndASummary() throws Exception {
        try (LogCapture logs = LogCapture.open(); TestService service = TestService.start(
                TestService.environment(dir, bigQuery.baseUrl()))) {
            service.replaceTimer();
            service.registerRemote("t1", "ds", "t1");
            service.registerRemote("t2", "ds", "t2");

            service.tick();

            assertThat(logs.linesContaining("bq metadata refresh table: ")).hasSize(2).allSatisfy(line -> assertThat(line)
                    .matches("INFO .* bq metadata refresh table: run_id=[0-9a-f]{8} table_id=t[12] status=ok"
                            + " fetch_ms=\\d+ total_ms=\\d+"));
            assertThat(logs.linesContaining("bq metadata refresh: ")).singleElement().satisfies(line -> assertThat(line)
                    .matches("INFO .* bq metadata refresh: run_id=[0-9a-f]{8} total=2 ok=2 no_data=0 failed=0"
                            + " duration_ms=\\d+"));
            assertThat(service.query("SELECT trigger FROM bqmc_run_history"))
                    .containsExactly(Map.of("trigger", "timer"));
            assertThat(bigQuery.getAllServeEvents()).hasSize(2);
        }
    }
}
