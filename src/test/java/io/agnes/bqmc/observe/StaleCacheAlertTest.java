package io.agnes.bqmc.observe;

import static io.agnes.bqmc.observe.ObservabilityTest.metric;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Contract section 9: a cache gone stale is an alert (health DOWN), not a reason to stop serving (ready). */
class StaleCacheAlertTest {

    @TempDir
    Path dir;

    @Test
    void aStaleCacheIsAnAlertNotUnreadiness() throws Exception {
        // BigQuery fails for good: with grace 0 and a 1 s interval, no success for longer than twice the interval
        WireMockServer failingBigQuery = WireMocks.startBigQuery();
        failingBigQuery.stubFor(com.github.tomakehurst.wiremock.client.WireMock.any(
                        com.github.tomakehurst.wiremock.client.WireMock.anyUrl())
                .willReturn(WireMocks.json(503, io.agnes.bqmc.support.BigQueryJson.error(503, "backendError", "Backend"))));
        TestService.seedRemoteTables(dir.resolve("system.duckdb"), 1);
        Map<String, String> env = TestService.environment(dir, failingBigQuery.baseUrl());
        env.put("SCHEDULER_STARTUP_GRACE_SECONDS", "0");
        env.put("SCHEDULER_BQ_METADATA_REFRESH_INTERVAL", "1");
        env.put("BIGQUERY_MAX_ATTEMPTS", "1");
        try (TestService failing = TestService.start(env)) {
            ApiClient m = new ApiClient(Integer.parseInt(env.get("MANAGEMENT_PORT")));
            await().atMost(Duration.ofSeconds(10)).until(() -> m.get("/observe/health", null).status() == 503);
            JsonNode all = m.get("/observe/health?data=true", null).json();
            JsonNode lastRun = null;
            for (JsonNode check : all.get("checks")) {
                if ("last-run".equals(check.get("name").asText())) {
                    lastRun = check;
                }
            }
            assertThat(lastRun).isNotNull();
            assertThat(lastRun.get("status").asText()).isEqualTo("DOWN");
            assertThat(m.get("/observe/health/ready", null).status()).as("still able to serve").isEqualTo(200);
            assertThat(m.get("/observe/health/live", null).status()).isEqualTo(200);
            String metrics = m.get("/observe/metrics", null).body();
            assertThat(metric(metrics, "bqmc_last_successful_run_timestamp_seconds")).isZero();
            assertThat(metric(metrics, "bqmc_last_run_tables{outcome=\"error\"}")).isEqualTo(1);
        } finally {
            failingBigQuery.stop();
        }
    }
}
