package io.agnes.bqmc.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.LogCapture;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failures are not silent: unusable credentials get one WARN at start naming the cause and
 * what to set, a WARN summary per run and a metric; a run with failures logs its summary at
 * WARN with the count per kind, and each table's line says why.
 */
class FailureVisibilityTest {

    @TempDir
    Path dir;

    WireMockServer bigQuery;

    @BeforeEach
    void start() {
        bigQuery = WireMocks.startBigQuery();
    }

    @AfterEach
    void stop() {
        bigQuery.stop();
    }

    static double metric(ApiClient management, String name) {
        return ObservabilityTest.metric(management.get("/observe/metrics", null).body(), name);
    }

    @Test
    void unusableCredentialsAreToldAtStartInEveryRunAndByAMetric() throws Exception {
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        // Google's endpoint, so credentials are needed; a key file that is not there, so none are usable
        env.remove("BIGQUERY_API_URL");
        env.put("GOOGLE_APPLICATION_CREDENTIALS", dir.resolve("no-such-key.json").toString());
        try (LogCapture logs = LogCapture.open(); TestService service = TestService.start(env)) {
            assertThat(logs.linesContaining("BigQuery credentials are missing or unusable")).singleElement()
                    .satisfies(line -> assertThat(line).startsWith("WARN ")
                            .contains("cannot read GOOGLE_APPLICATION_CREDENTIALS file " + dir.resolve("no-such-key.json"))
                            .contains("Set GOOGLE_APPLICATION_CREDENTIALS"));
            ApiClient management = new ApiClient(Integer.parseInt(env.get("MANAGEMENT_PORT")));
            assertThat(metric(management, "bqmc_bigquery_credentials_ok")).isZero();

            service.registerRemote("t1", "ds", "t1");
            service.registerRemote("t2", "ds", "t2");
            for (int run = 1; run <= 2; run++) {
                assertThat(service.runAll().noData()).isEqualTo(2);
                assertThat(logs.linesContaining("bq metadata refresh: run_id=")).hasSize(run).last()
                        .satisfies(line -> assertThat(line).startsWith("WARN ").endsWith(" errors=no_credentials:2 triggered_by=direct caller=-"));
            }
            assertThat(logs.linesContaining("bq metadata refresh table: ")).hasSize(4).allSatisfy(line -> assertThat(line)
                    .contains("status=no_data").contains("error=provider returned no data: cannot read"
                            + " GOOGLE_APPLICATION_CREDENTIALS file"));
            assertThat(bigQuery.getAllServeEvents()).isEmpty();
        }
    }

    @Test
    void aRunWithFailuresSaysSoAtWarnWithTheCountPerKind() throws Exception {
        WireMocks.serveTable(bigQuery, "test-project", "ds", "good", 1, 1);
        WireMocks.serveError(bigQuery, "test-project", "ds", "denied", 403, "accessDenied", "Access Denied: Table");
        WireMocks.serveError(bigQuery, "test-project", "ds", "gone", 404, "notFound", "Not found: Table");
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        try (LogCapture logs = LogCapture.open(); TestService service = TestService.start(env)) {
            assertThat(logs.linesContaining("BigQuery credentials")).isEmpty();
            for (String t : new String[] {"good", "denied", "gone"}) {
                service.registerRemote(t, "ds", t);
            }
            service.register("bad id", "bigquery", "remote", "ds", "bad id", null);
            service.runAll();
            assertThat(logs.linesContaining("bq metadata refresh: run_id=")).singleElement().satisfies(line ->
                    assertThat(line).startsWith("WARN ").contains("total=4 ok=1 no_data=1 failed=2")
                            .endsWith(" errors=accessDenied:1,invalid_identifier:1,not_found:1 triggered_by=direct caller=-"));
            assertThat(logs.linesContaining("table_id=denied")).singleElement().satisfies(line -> assertThat(line)
                    .startsWith("INFO ").endsWith("status=error fetch_ms=" + line.replaceAll(".*fetch_ms=(\\d+).*", "$1")
                            + " total_ms=" + line.replaceAll(".*total_ms=(\\d+).*", "$1")
                            + " error=BigQueryException: Access Denied: Table"));
            assertThat(logs.linesContaining("table_id=good")).singleElement()
                    .satisfies(line -> assertThat(line).doesNotContain("error="));

            // a clean run is INFO again
            service.update("DELETE FROM table_registry WHERE id <> 'good'");
            service.runAll();
            assertThat(logs.linesContaining("bq metadata refresh: run_id=")).last()
                    .satisfies(line -> assertThat(line).startsWith("INFO ").endsWith("failed=0 duration_ms="
                            + line.replaceAll(".*duration_ms=(\\d+) .*", "$1") + " triggered_by=direct caller=-"));
        }
    }
}
