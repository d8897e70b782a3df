package io.agnes.bqmc.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenHashes;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.ChildService;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code LOG_FORMAT=json}, in a real process: every line one JSON object with the platform's
 * fields, {@code run_id}/{@code table_id} where they apply, and no token, token hash or secret in
 * any line; an invalid value keeps text and says so.
 */
class JsonLogsIT {

    static final String SCHEDULER_TOKEN = "scheduler-secret-" + "x".repeat(30);

    @TempDir
    Path dir;

    @Test
    void everyLineIsAJsonObjectWithThePlatformsFieldsAndNoSecret() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 1, 1, 0);
        WireMocks.serveError(bigQuery, "test-project", "ds", "t1", 403, "accessDenied", "Access Denied");
        TestService.seedRemoteTables(dir.resolve("system.duckdb"), 2);
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ana@example.com", Role.ADMIN, null);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("LOG_FORMAT", "json");
        env.put("REPLICA_ID", "replica-7");
        env.put("AGNES_DEPLOYMENT_ENV", "staging");
        env.put("SCHEDULER_API_TOKEN", SCHEDULER_TOKEN);
        int port = Integer.parseInt(env.get("PORT"));
        String output;
        try (ChildService child = ChildService.start(env, dir.resolve("json.log"))) {
            child.awaitHttp(port, Duration.ofSeconds(60));
            ApiClient api = new ApiClient(port);
            assertThat(api.send(api.requestBuilder("/api/admin/run-bq-metadata-refresh", admin)
                    .header("X-Request-Id", "json-run-1").POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build())
                    .status()).isEqualTo(200);
            assertThat(api.post("/api/admin/run-bq-metadata-refresh", SCHEDULER_TOKEN).status()).isEqualTo(200);
            assertThat(api.send(api.requestBuilder("/api/v2/metadata-cache/status", admin + "x")
                    .header("X-Request-Id", "json-refused-1").GET().build()).status()).isEqualTo(401);
            child.signal("TERM");
            assertThat(child.awaitExit(Duration.ofSeconds(30))).isZero();
            output = child.output();
        } finally {
            bigQuery.stop();
        }

        ObjectMapper json = new ObjectMapper();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : output.lines().filter(l -> !l.isBlank()).toList()) {
            JsonNode node = json.readTree(line);
            assertThat(node.isObject()).as(line).isTrue();
            lines.add(node);
        }
        assertThat(lines).hasSizeGreaterThan(10).allSatisfy(line -> {
            assertThat(line.get("time").asText()).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");
            assertThat(line.get("severity").asText()).isIn("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL");
            assertThat(line.get("logger").asText()).isNotBlank();
            assertThat(line.get("service").asText()).isEqualTo("bq-metadata-cache");
            assertThat(line.get("env").asText()).isEqualTo("staging");
            assertThat(line.get("replica").asText()).isEqualTo("replica-7");
            assertThat(line.has("message")).isTrue();
            // the platform's keys, and the event's own; nothing of the old format
            assertThat(line.has("ts") || line.has("lvl") || line.has("msg") || line.has("thread")).isFalse();
            if (line.has("exc")) {
                assertThat(line.get("exc").isTextual()).isTrue();
            }
        });
        List<JsonNode> tables = lines.stream().filter(l -> l.get("message").asText().startsWith("bq metadata refresh table:"))
                .toList();
        assertThat(tables).hasSize(4).allSatisfy(l -> {
            assertThat(l.get("run_id").asText()).matches("[0-9a-f]{8}");
            assertThat(l.get("table_id").asText()).isIn("t0", "t1");
            assertThat(l.get("message").asText()).contains("run_id=" + l.get("run_id").asText());
        });
        List<JsonNode> summaries = lines.stream().filter(l -> l.get("message").asText().startsWith("bq metadata refresh: "))
                .toList();
        assertThat(summaries).hasSize(2).allSatisfy(l -> {
            assertThat(l.get("severity").asText()).isEqualTo("WARNING");
            assertThat(l.get("run_id").asText()).matches("[0-9a-f]{8}");
            assertThat(l.has("table_id")).isFalse();
            assertThat(l.get("request_id").asText()).isNotBlank();
        });
        // a request's id on its lines, the run's lines on the run's threads too
        assertThat(lines.stream().filter(l -> l.has("request_id") && l.get("request_id").asText().equals("json-run-1")))
                .extracting(l -> l.get("message").asText()).hasSize(3)
                .anyMatch(m -> m.startsWith("bq metadata refresh: ") && m.endsWith(" triggered_by=api caller=ana@example.com"));
        assertThat(summaries).anyMatch(l -> l.get("message").asText().endsWith(
                " triggered_by=scheduler-token caller=scheduler@system.local"));
        assertThat(lines.stream().filter(l -> l.get("message").asText().startsWith("request refused: ")))
                .singleElement().satisfies(l -> {
                    assertThat(l.get("request_id").asText()).isEqualTo("json-refused-1");
                    assertThat(l.get("message").asText()).isEqualTo("request refused: status=401 reason=unknown_token"
                            + " endpoint=/api/v2/metadata-cache/status client=127.0.0.1");
                });
        for (String secret : List.of(admin, TokenHashes.sha256Hex(admin), SCHEDULER_TOKEN,
                TokenHashes.sha256Hex(SCHEDULER_TOKEN))) {
            assertThat(output).doesNotContain(secret);
        }
    }

    @Test
    void anInvalidValueKeepsTextAndSaysSo() throws Exception {
        Map<String, String> env = TestService.environment(dir, "http://127.0.0.1:9");
        env.put("LOG_FORMAT", "xml");
        int port = Integer.parseInt(env.get("PORT"));
        try (ChildService child = ChildService.start(env, dir.resolve("text.log"))) {
            child.awaitHttp(port, Duration.ofSeconds(60));
            ApiClient api = new ApiClient(port);
            assertThat(api.send(api.requestBuilder("/api/v2/metadata-cache/status", "unknown-token")
                    .header("X-Request-Id", "text-refused-1").GET().build()).status()).isEqualTo(401);
            child.signal("TERM");
            assertThat(child.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(child.output().lines().filter(l -> l.contains("Ignoring invalid LOG_FORMAT='xml'")).toList())
                    .singleElement().satisfies(l -> assertThat(l).contains(" WARN ").doesNotStartWith("{"));
            // a text line of a request ends with its id
            assertThat(child.output().lines().filter(l -> l.contains("request refused: ")).toList()).singleElement()
                    .satisfies(l -> assertThat(l).contains(" INFO ").endsWith(" request refused: status=401"
                            + " reason=unknown_token endpoint=/api/v2/metadata-cache/status client=127.0.0.1"
                            + " request_id=text-refused-1"));
        }
    }
}
