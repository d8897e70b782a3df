package io.agnes.bqmc.bigquery;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.BigQueryJson;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Waiting for the pace or for a Retry-After is not part of an attempt (issue 23, finding 5): with
 * a tight pace, many slots and a short timeout, 19 of 40 healthy tables had been stored as
 * timeouts without ever being requested, and one table's Retry-After failed another healthy one.
 */
class PaceDeadlineTest {

    @TempDir
    Path dir;

    @Test
    void aTightPaceAndAnotherTablesRetryAfterTimeOutNoHealthyTable() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 1, 1, 0);
        // one table is throttled once with a Retry-After longer than the attempt timeout, then answers
        String path = BigQueryJson.tablePath("test-project", "ds", "t0");
        bigQuery.stubFor(get(urlPathEqualTo(path)).inScenario("throttled").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(WireMocks.json(429, BigQueryJson.error(429, "rateLimitExceeded", "Too many"))
                        .withHeader("Retry-After", "3"))
                .willSetStateTo("answered"));
        bigQuery.stubFor(get(urlPathEqualTo(path)).inScenario("throttled").whenScenarioStateIs("answered")
                .willReturn(WireMocks.json(200, BigQueryJson.baseTable("test-project", "ds", "t0", 1, 1, "a"))));
        TestService.seedRemoteTables(dir.resolve("system.duckdb"), 16);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("BIGQUERY_MAX_REQUESTS_PER_SECOND", "4");
        env.put("AGNES_BQ_METADATA_REFRESH_CONCURRENCY", "16");
        env.put("BIGQUERY_TIMEOUT_SECONDS", "2");
        env.put("BIGQUERY_MAX_ATTEMPTS", "2");
        try (TestService service = TestService.start(env)) {
            RunRecord run = service.runAll();
            // 17 requests at 4 a second and a 3 s pause: most tables wait far longer than 2 s for their turn
            assertThat(run.total()).isEqualTo(16);
            assertThat(run.succeeded()).as("every table answered").isEqualTo(16);
            assertThat(bigQuery.getAllServeEvents()).hasSize(17);
        } finally {
            bigQuery.stop();
        }
    }
}
