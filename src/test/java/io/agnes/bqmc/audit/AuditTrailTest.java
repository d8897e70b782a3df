package io.agnes.bqmc.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.refresh.SingleFlightRoutePolicy;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.AuditLogTable;
import io.agnes.bqmc.support.Engine;
import io.agnes.bqmc.support.LogCapture;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The platform's {@code audit_log} on both engines, as contract section 10 has it: one row per
 * run over the API (its counters, or the run in flight for a 409), per single-table refresh,
 * per timer run (the scheduler's), {@code denied} for a 403; none for a 401 or a status read;
 * and an audit write that fails changes no answer and says so once.
 */
@ParameterizedClass
@EnumSource(Engine.class)
class AuditTrailTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCHEDULER_TOKEN = "sched-8c1d0f5e2b7a4d93-6f0e9a1c7b2d4e58";

    @Parameter
    Engine engine;

    @TempDir
    Path dir;

    @Test
    void everyAdminActionIsOneRowWrittenByTheReplicaThatServedIt() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 5, 50, 600);
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ana@example.com", Role.ADMIN, null);
        String analyst = TokenIssuer.issue(dir.resolve("tokens"), "bob@example.com", Role.ANALYST, null);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl(), engine);
        env.put("SCHEDULER_API_TOKEN", SCHEDULER_TOKEN);
        try (TestService service = TestService.start(env); LogCapture log = LogCapture.open()) {
            try (Connection c = service.dataSource().getConnection()) {
                AuditLogTable.create(c, service.dialect());
            }
            service.replaceTimer();
            for (int i = 0; i < 3; i++) {
                service.registerRemote("t" + i, "ds", "t" + i);
            }
            ApiClient api = new ApiClient(Integer.parseInt(env.get("PORT")));
            SingleFlightRoutePolicy runs = service.context().getRegistry()
                    .lookupByNameAndType("singleFlightRoutePolicy", SingleFlightRoutePolicy.class);

            // the timer's run first: on PostgreSQL a tick gives way to a run that started less than an interval ago
            service.tick();

            // a run over the API, and a second one while it is in flight
            CompletableFuture<ApiClient.Answer> first = CompletableFuture.supplyAsync(() -> api.send(
                    api.requestBuilder("/api/admin/run-bq-metadata-refresh", admin).header("X-Request-Id", "run-by-ana")
                            .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build()));
            await().atMost(Duration.ofSeconds(10)).until(() -> runs.current().isPresent());
            ApiClient.Answer conflict = api.post("/api/admin/run-bq-metadata-refresh", SCHEDULER_TOKEN);
            assertThat(conflict.status()).isEqualTo(409);
            ApiClient.Answer ran = first.get();
            assertThat(ran.status()).isEqualTo(200);
            String runId = ran.json().get("run_id").asText();

            // refused for its role, refused for its token, a status read, a refresh, a timer run
            assertThat(api.post("/api/v2/metadata-cache/refresh?table=t1", analyst).status()).isEqualTo(403);
            assertThat(api.post("/api/admin/run-bq-metadata-refresh", "not-a-token").status()).isEqualTo(401);
            assertThat(api.get("/api/v2/metadata-cache/status", analyst).status()).isEqualTo(200);
            ApiClient.Answer refreshed = api.post("/api/v2/metadata-cache/refresh?table=t1", SCHEDULER_TOKEN);
            assertThat(refreshed.status()).isEqualTo(200);
            assertThat(api.post("/api/v2/metadata-cache/refresh?table=nope", admin).status()).isEqualTo(404);

            await().atMost(Duration.ofSeconds(10)).until(() -> AuditLogTable.rows(service).size() >= 6);
            List<Map<String, Object>> rows = AuditLogTable.rows(service);
            assertThat(rows).as("timer, 200, 409, 403, refresh, 404: nothing for the 401 or the status read")
                    .hasSize(6);
            Map<String, Object> conflictRow = row(rows, "result", "conflict: run " + runId + " is already in flight");
            Map<String, Object> runRow = rows.stream().filter(r -> "run-by-ana".equals(r.get("correlation_id")))
                    .findFirst().orElseThrow();

            assertThat(runRow).containsEntry("user_id", "ana@example.com")
                    .containsEntry("action", "run_bq_metadata_refresh").containsEntry("resource", "job:bq-metadata-refresh")
                    .containsEntry("result", "success").containsEntry("client_kind", "cli")
                    .containsEntry("client_ip", "127.0.0.1");
            JsonNode counters = JSON.readTree((String) runRow.get("params"));
            assertThat(counters.get("run_id").asText()).isEqualTo(runId);
            assertThat(counters.get("total").asInt()).isEqualTo(3);
            assertThat(counters.get("succeeded").asInt()).isEqualTo(3);
            assertThat(counters.has("no_data") && counters.has("failed") && counters.has("duration_ms")).isTrue();
            assertThat(((Number) runRow.get("duration_ms")).longValue()).isGreaterThanOrEqualTo(600);

            assertThat(conflictRow).containsEntry("user_id", "scheduler@system.local")
                    .containsEntry("client_kind", "scheduler").containsEntry("action", "run_bq_metadata_refresh");
            assertThat(JSON.readTree((String) conflictRow.get("params")).get("run_id").asText()).isEqualTo(runId);
            assertThat((String) conflictRow.get("correlation_id")).isNotBlank();

            Map<String, Object> denied = row(rows, "result", "denied");
            assertThat(denied).containsEntry("user_id", "bob@example.com")
                    .containsEntry("action", "metadata_cache.refresh_table")
                    .containsEntry("resource", "/api/v2/metadata-cache/refresh").containsEntry("client_kind", "cli");

            Map<String, Object> refresh = rows.stream().filter(r -> "metadata_cache.refresh_table".equals(r.get("action"))
                    && "success".equals(r.get("result"))).findFirst().orElseThrow();
            assertThat(refresh).containsEntry("user_id", "scheduler@system.local").containsEntry("client_kind", "scheduler")
                    .containsEntry("correlation_id", refreshed.header("X-Request-Id"));
            assertThat(JSON.readTree((String) refresh.get("params")).get("table_id").asText()).isEqualTo("t1");
            assertThat(row(rows, "result", "error: Unknown table_id: nope")).containsEntry("user_id", "ana@example.com");

            Map<String, Object> timer = rows.get(0);
            assertThat(timer.get("user_id")).isNull();
            assertThat(timer.get("client_ip")).isNull();
            assertThat(timer).containsEntry("action", "run_bq_metadata_refresh").containsEntry("client_kind", "scheduler")
                    .containsEntry("result", "success");
            assertThat(JSON.readTree((String) timer.get("params")).get("total").asInt()).isEqualTo(3);

            // the table made unwritable: answers as before, one WARN however many rows fail
            try (Connection c = service.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP TABLE audit_log");
                AuditLogTable.create(c, service.dialect(), "CONSTRAINT no_rows CHECK (length(id) < 0)");
            }
            for (int i = 0; i < 2; i++) {
                ApiClient.Answer again = api.post("/api/v2/metadata-cache/refresh?table=t2", admin);
                assertThat(again.status()).isEqualTo(200);
                assertThat(again.json().get("status").asText()).isEqualTo("ok");
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> failedRows(service) >= 2);
            assertThat(log.linesContaining("audit_log: a row could not be written")).hasSize(1)
                    .allMatch(line -> line.startsWith("WARN"));
            assertThat(AuditLogTable.rows(service)).isEmpty();
        } finally {
            bigQuery.stop();
        }
    }

    private static Map<String, Object> row(List<Map<String, Object>> rows, String column, Object value) {
        return rows.stream().filter(r -> value.equals(r.get(column))).findFirst()
                .orElseThrow(() -> new AssertionError("no row with " + column + "=" + value + " in " + rows));
    }

    private static double failedRows(TestService service) {
        return metric(service, "failed");
    }

    private static double metric(TestService service, String outcome) {
        var counter = service.meters().find("bqmc.audit.rows").tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }
}
