package io.agnes.bqmc.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.db.Database;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.Promtool;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Contract section 9: health, metrics, OpenAPI and run history, over real HTTP. One service, the
 * tests in order: the counters each test reads are those the tests before it left, and the two
 * that take the database away come last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ObservabilityTest {

    @TempDir
    static Path dir;

    WireMockServer bigQuery;
    TestService service;
    ApiClient api;
    ApiClient management;
    String admin;

    @BeforeAll
    void start() throws Exception {
        bigQuery = WireMocks.startBigQuery();
        WireMocks.serveTable(bigQuery, "test-project", "ds", "orders", 10, 100);
        WireMocks.serveError(bigQuery, "test-project", "ds", "flaky", 503, "backendError", "Backend error");
        admin = TokenIssuer.issue(dir.resolve("tokens"), "ops@example.com", Role.ADMIN, null);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("BIGQUERY_MAX_ATTEMPTS", "2");
        service = TestService.start(env);
        service.registerRemote("orders", "ds", "orders");
        service.registerRemote("flaky", "ds", "flaky");
        api = new ApiClient(Integer.parseInt(env.get("PORT")));
        management = new ApiClient(Integer.parseInt(env.get("MANAGEMENT_PORT")));
    }

    @AfterAll
    void stop() throws Exception {
        service.close();
        bigQuery.stop();
    }

    static double metric(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " ([0-9.eE+-]+|NaN)$").matcher(text);
        assertThat(m.find()).as("metric " + name + " in\n" + text.lines().filter(l -> l.startsWith("bqmc")).toList())
                .isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    @Order(1)
    void healthIsUpAndNamesOurChecks() {
        ApiClient.Answer health = management.get("/observe/health", null);
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().get("status").asText()).isEqualTo("UP");
        assertThat(checkNames(health.json())).contains("database", "last-run");
        assertThat(management.get("/observe/health/live", null).status()).isEqualTo(200);
        ApiClient.Answer ready = management.get("/observe/health/ready", null);
        assertThat(ready.status()).isEqualTo(200);
        assertThat(checkNames(ready.json())).contains("database").doesNotContain("last-run");
    }

    static List<String> checkNames(JsonNode health) {
        List<String> names = new ArrayList<>();
        health.get("checks").forEach(c -> names.add(c.get("name").asText()));
        return names;
    }

    @Test
    @Order(8)
    void readinessGoesDownWithTheDatabase() {
        service.context().getRegistry().lookupByNameAndType("dataSource", Database.class).close();
        ApiClient.Answer ready = management.get("/observe/health/ready?data=true", null);
        assertThat(ready.status()).isEqualTo(503);
        assertThat(ready.json().get("status").asText()).isEqualTo("DOWN");
        JsonNode database = null;
        for (JsonNode check : ready.json().get("checks")) {
            if ("database".equals(check.get("name").asText())) {
                database = check;
            }
        }
        assertThat(database).isNotNull();
        assertThat(database.get("status").asText()).isEqualTo("DOWN");
        assertThat(management.get("/observe/health", null).status()).isEqualTo(503);
        // liveness is not the database's to decide: a restart would not bring it back
        assertThat(management.get("/observe/health/live", null).status()).isEqualTo(200);
    }

    @Test
    @Order(3)
    void metricsMoveWithARun() {
        String before = management.get("/observe/metrics", null).body();
        assertThat(metric(before, "bqmc_run_in_flight")).isZero();
        assertThat(metric(before, "bqmc_tables_total{outcome=\"ok\"}")).isZero();
        assertThat(metric(before, "bqmc_last_successful_run_age_seconds")).isNaN();
        // 0 before the first success: "time() - this > limit" fires for a cache never refreshed
        assertThat(metric(before, "bqmc_last_successful_run_timestamp_seconds")).isZero();
        assertThat(metric(before, "bqmc_bigquery_credentials_ok")).isEqualTo(1);
        assertThat(metric(before, "bqmc_database_up")).isEqualTo(1);
        assertThat(metric(before, "bqmc_refresh_interval_seconds")).isEqualTo(14400);
        // the JVM and the process, on by default
        assertThat(metric(before, "process_start_time_seconds")).isPositive();
        assertThat(before).contains("jvm_memory_used_bytes{").contains("jvm_gc_").contains("jvm_threads_live_threads ");

        assertThat(api.post("/api/admin/run-bq-metadata-refresh", admin).status()).isEqualTo(200);

        String after = management.get("/observe/metrics", null).body();
        assertThat(metric(after, "bqmc_runs_total{trigger=\"rest\"}")).isEqualTo(1);
        assertThat(metric(after, "bqmc_run_duration_seconds_count")).isEqualTo(1);
        assertThat(metric(after, "bqmc_tables_total{outcome=\"ok\"}")).isEqualTo(1);
        assertThat(metric(after, "bqmc_tables_total{outcome=\"error\"}")).isEqualTo(1);
        assertThat(metric(after, "bqmc_bigquery_retries_total")).isEqualTo(1);
        assertThat(metric(after, "bqmc_bigquery_request_duration_seconds_count{outcome=\"ok\"}")).isEqualTo(1);
        assertThat(metric(after, "bqmc_bigquery_request_duration_seconds_count{outcome=\"retryable_error\"}"))
                .isEqualTo(2);
        assertThat(after).contains("bqmc_bigquery_request_duration_seconds_bucket{");
        assertThat(metric(after, "bqmc_last_successful_run_age_seconds")).isBetween(0.0, 60.0);
        assertThat(metric(after, "bqmc_last_successful_run_timestamp_seconds"))
                .isCloseTo(System.currentTimeMillis() / 1000.0, org.assertj.core.data.Offset.offset(60.0));
        assertThat(metric(after, "bqmc_last_run_tables{outcome=\"ok\"}")).isEqualTo(1);
        assertThat(metric(after, "bqmc_last_run_tables{outcome=\"error\"}")).isEqualTo(1);
        assertThat(metric(after, "bqmc_run_in_flight")).isZero();
        assertThat(metric(after, "bqmc_run_lock_held{replica=\"" + service.env().getOrDefault("REPLICA_ID",
                replicaName()) + "\"}")).isZero();
    }

    static String replicaName() {
        try {
            String host = System.getenv("HOSTNAME");
            return host != null && !host.isBlank() ? host : java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @Order(5)
    void aQuotaAnswerIsCountedApartFromServerErrorsAndFailedRunsAreThereFromTheStart() throws Exception {
        String before = management.get("/observe/metrics", null).body();
        for (String trigger : List.of("timer", "rest", "direct")) {
            assertThat(metric(before, "bqmc_runs_failed_total{trigger=\"" + trigger + "\"}")).isZero();
        }
        String serverErrors = "bqmc_bigquery_request_duration_seconds_count{outcome=\"retryable_error\"}";
        double serverErrorsBefore = metric(before, serverErrors);
        WireMocks.serveError(bigQuery, "test-project", "ds", "flaky", 429, "rateLimitExceeded", "Too many requests");
        assertThat(api.post("/api/admin/run-bq-metadata-refresh", admin).status()).isEqualTo(200);
        String after = management.get("/observe/metrics", null).body();
        assertThat(metric(after, "bqmc_bigquery_request_duration_seconds_count{outcome=\"rate_limited\"}")).isEqualTo(2);
        assertThat(metric(after, serverErrors)).as("a 429 is not a server error").isEqualTo(serverErrorsBefore);
    }

    @Test
    @Order(7)
    void runsThatEndInAnErrorAreCountedAndOurMetricsPassPromtool() throws Exception {
        // the database goes away under a run: the run ends with an error instead of a summary
        service.context().getRegistry().lookupByNameAndType("dataSource", Database.class).close();
        try {
            service.runAll();
        } catch (Exception expected) {
            // counted below
        }
        String metrics = management.get("/observe/metrics", null).body();
        assertThat(metric(metrics, "bqmc_runs_failed_total{trigger=\"direct\"}")).isEqualTo(1);
        assertThat(metric(metrics, "bqmc_database_up")).isZero();

        StringBuilder ours = new StringBuilder();
        metrics.lines().filter(l -> l.startsWith("bqmc_") || l.startsWith("# HELP bqmc_") || l.startsWith("# TYPE bqmc_"))
                .forEach(l -> ours.append(l).append('\n'));
        assertThat(Promtool.checkMetrics(ours.toString())).as("promtool check metrics").isEmpty();
    }

    @Test
    @Order(4)
    void runHistoryIsInTheStatusNewestFirst() throws Exception {
        api.post("/api/admin/run-bq-metadata-refresh", admin);
        service.runAll();
        JsonNode runs = api.get("/api/v2/metadata-cache/status", admin).json().get("last_runs");
        assertThat(runs).hasSizeGreaterThanOrEqualTo(2); // and metricsMoveWithARun's before them
        assertThat(runs.get(0).get("trigger").asText()).isEqualTo("direct");
        assertThat(runs.get(1).get("trigger").asText()).isEqualTo("rest");
        JsonNode rest = runs.get(1);
        assertThat(rest.get("total").asInt()).isEqualTo(2);
        assertThat(rest.get("succeeded").asInt()).isEqualTo(1);
        assertThat(rest.get("failed").asInt()).isEqualTo(1);
        assertThat(rest.get("run_id").asText()).matches("[0-9a-f]{8}");
        assertThat(rest.get("finished_at").asText()).endsWith("+00:00");
    }

    @Test
    @Order(6)
    void runHistoryKeepsTheNewestRuns() throws Exception {
        // the README promises the newest 200
        for (int i = 0; i < 220; i++) {
            Instant at = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(60L * i);
            service.update("INSERT INTO bqmc_run_history (run_id, started_at, finished_at, trigger, total, succeeded,"
                    + " no_data, failed, duration_ms) VALUES (?, " + service.timestampParam() + ", " + service.timestampParam()
                    + ", 'timer', 0, 0, 0, 0, 1)", "old" + i, service.at(at), service.at(at));
        }
        service.runAll();
        assertThat(service.query("SELECT run_id FROM bqmc_run_history")).hasSize(200);
        assertThat(service.query("SELECT run_id FROM bqmc_run_history WHERE run_id IN ('old0', 'old20')")).isEmpty();
    }

    @Test
    @Order(2)
    void openApiDescribesTheThreeOperationsAndTheirErrors() {
        ApiClient.Answer doc = api.get("/api/openapi.json", null);
        assertThat(doc.status()).isEqualTo(200);
        JsonNode paths = doc.json().get("paths");
        assertThat(doc.json().get("openapi").asText()).startsWith("3.");
        JsonNode run = paths.get("/api/admin/run-bq-metadata-refresh").get("post");
        assertThat(fieldNames(run.get("responses"))).contains("200", "401", "403", "409");
        JsonNode refresh = paths.get("/api/v2/metadata-cache/refresh").get("post");
        assertThat(fieldNames(refresh.get("responses"))).contains("200", "400", "401", "403", "404");
        assertThat(refresh.get("parameters").get(0).get("name").asText()).isEqualTo("table");
        assertThat(refresh.get("parameters").get(0).get("in").asText()).isEqualTo("query");
        assertThat(refresh.get("parameters").get(0).get("required").asBoolean()).isTrue();
        JsonNode status = paths.get("/api/v2/metadata-cache/status").get("get");
        assertThat(fieldNames(status.get("responses"))).contains("200", "401");
        JsonNode schemas = doc.json().get("components").get("schemas");
        assertThat(fieldNames(schemas.get("RunRecord").get("properties")))
                .contains("run_id", "started_at", "total", "succeeded", "no_data", "failed", "duration_ms");
        assertThat(fieldNames(schemas.get("TableRefreshResult").get("properties")))
                .contains("table_id", "status", "rows", "size_bytes", "entity_type", "error", "fetch_ms", "total_ms");
        assertThat(fieldNames(schemas.get("ErrorBody").get("properties"))).containsExactly("detail");
        assertThat(schemas.has("StatusBody")).isTrue();
    }

    static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
