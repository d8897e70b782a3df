package io.agnes.bqmc.bigquery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.support.LogCapture;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up warm-up runs the client's code on loopback and sends BigQuery nothing: the first
 * request BigQuery sees is the first run's. (Its effect on the first run's speed is bench/run
 * B10's to measure.)
 */
class ClientWarmUpTest {

    @TempDir
    Path dir;

    @Test
    void theWarmUpSendsBigQueryNothing() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 1, 1, 0);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("BIGQUERY_WARM_UP", "true");
        try (LogCapture logs = LogCapture.open(); TestService service = TestService.start(env)) {
            Awaitility.await().atMost(Duration.ofSeconds(120))
                    .until(() -> !logs.linesContaining("BigQuery client warmed up in").isEmpty());
            assertThat(bigQuery.getAllServeEvents()).as("requests BigQuery saw before any run").isEmpty();
            // and it leaves no thread behind, its stand-in's included
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(t -> t.getName().startsWith("bqmc-warm-up")));
            service.registerRemote("orders", "ds", "orders");
            assertThat(service.runAll().succeeded()).isEqualTo(1);
            assertThat(bigQuery.getAllServeEvents()).hasSize(1);
        } finally {
            bigQuery.stop();
        }
    }

    @Test
    void theWarmUpGivesWayToTheFirstRequestToBigQuery() throws Exception {
        RequestRate pace = new RequestRate(0);
        // a run's first request asks for its turn before the warm-up has begun
        pace.acquire();
        try (LogCapture logs = LogCapture.open()) {
            ClientWarmUp.run(new ConfiguredBigQueryConnectionFactory(), 4, pace);
            assertThat(logs.linesContaining("BigQuery client warm-up stopped after")).hasSize(1);
            assertThat(logs.linesContaining("BigQuery client warmed up in")).isEmpty();
        }
    }
}
