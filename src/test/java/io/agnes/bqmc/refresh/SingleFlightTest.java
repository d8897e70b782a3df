package io.agnes.bqmc.refresh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The route policy: a second start during a run is refused at once and costs BigQuery nothing. */
class SingleFlightTest {

    static final int TABLES = 4;

    @TempDir
    Path dir;

    WireMockServer bigQuery;
    TestService service;

    @BeforeEach
    void start() throws Exception {
        bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 1, 1, 800);
        service = TestService.start(TestService.environment(dir, bigQuery.baseUrl()));
        for (int i = 0; i < TABLES; i++) {
            service.registerRemote("t" + i, "ds", "t" + i);
        }
    }

    @AfterEach
    void stop() throws Exception {
        service.close();
        bigQuery.stop();
    }

    @Test
    void secondStartIsRefusedWithTheRunInFlight() throws Exception {
        CompletableFuture<RunSummary> first = CompletableFuture.supplyAsync(service::runAll);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (bigQuery.getAllServeEvents().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }

        long before = System.nanoTime();
        Throwable refused = catchThrowable(service::runAll);
        long refusedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);

        RunSummary summary = first.get(30, TimeUnit.SECONDS);
        assertThat(refused).hasRootCauseInstanceOf(RefreshAlreadyRunningException.class);
        RefreshAlreadyRunningException e = (RefreshAlreadyRunningException) rootCause(refused);
        assertThat(e.inFlight().runId()).isEqualTo(summary.runId());
        assertThat(e.inFlight().startedAtText()).isEqualTo(summary.startedAt());
        assertThat(refusedAfterMs).as("refused at once, not after the run").isLessThan(500);
        assertThat(summary.succeeded()).isEqualTo(TABLES);
        assertThat(bigQuery.getAllServeEvents()).hasSize(TABLES);

        // the slot is free again once the run finished
        RunSummary next = service.runAll();
        assertThat(next.runId()).isNotEqualTo(summary.runId());
        assertThat(bigQuery.getAllServeEvents()).hasSize(2 * TABLES);
    }

    static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
