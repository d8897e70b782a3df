package io.agnes.bqmc.reliability;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import io.agnes.bqmc.refresh.TableRefreshResult;
import io.agnes.bqmc.refresh.TableStatus;
import io.agnes.bqmc.support.BigQueryJson;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Contract section 5, one row per way BigQuery can answer a table: the outcome, the stored
 * error, the attempts the stand-in saw (exactly BIGQUERY_MAX_ATTEMPTS for the retryable set,
 * one for everything else), the backoff doubling between attempts, the last good numbers
 * untouched, and a bounded duration. Figures are printed as a table for docs/RELIABILITY.md.
 */
class FaultMatrixTest {

    static final String P = "test-project";
    static final int MAX_ATTEMPTS = 3;
    static final long INITIAL_DELAY_MS = 50;
    static final long TIMEOUT_MS = 1000;
    /** What a user reads for an attempt cut off at its deadline: written out here, not the code's constant. */
    static final String TIMED_OUT = "BigQueryException: no complete answer from BigQuery within BIGQUERY_TIMEOUT_SECONDS"
            + " (the attempt was cut off)";

    @TempDir
    static Path dir;

    static WireMockServer bigQuery;
    static TestService service;

    @BeforeAll
    static void start() throws Exception {
        bigQuery = WireMocks.startBigQuery();
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("BIGQUERY_MAX_ATTEMPTS", Integer.toString(MAX_ATTEMPTS));
        env.put("BIGQUERY_RETRY_INITIAL_DELAY_MS", Long.toString(INITIAL_DELAY_MS));
        env.put("BIGQUERY_TIMEOUT_SECONDS", Long.toString(TIMEOUT_MS / 1000));
        service = TestService.start(env);
        System.out.println("| case | outcome | attempts | duration ms | stored error_msg |");
        System.out.println("|---|---|---|---|---|");
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        bigQuery.stop();
    }

    static ResponseDefinitionBuilder error(int status, String reason, String message) {
        return WireMocks.json(status, BigQueryJson.error(status, reason, message));
    }

    /** How a row's table answers from now on. */
    interface Fault {
        void install(String table);
    }

    static Fault always(ResponseDefinitionBuilder response) {
        return table -> bigQuery.stubFor(get(urlPathEqualTo(BigQueryJson.tablePath(P, "ds", table))).willReturn(response));
    }

    /** One 503, then the table again: the retry turns it into a success. */
    static Fault onceThenOk() {
        return table -> {
            String path = BigQueryJson.tablePath(P, "ds", table);
            bigQuery.stubFor(get(urlPathEqualTo(path)).inScenario(table).whenScenarioStateIs(STARTED)
                    .willReturn(error(503, "backendError", "Backend error")).willSetStateTo("recovered"));
            bigQuery.stubFor(get(urlPathEqualTo(path)).inScenario(table).whenScenarioStateIs("recovered")
                    .willReturn(WireMocks.json(200, BigQueryJson.baseTable(P, "ds", table, 43, 4300, "a"))));
        };
    }

    static Stream<Arguments> faults() {
        return Stream.of(
                Arguments.of("http_400", always(error(400, "invalid", "Invalid table ID")), TableStatus.ERROR, 1,
                        "BigQueryException: Invalid table ID"),
                Arguments.of("http_401", always(error(401, "authError", "Request had invalid authentication credentials")),
                        TableStatus.ERROR, 1, "BigQueryException: Request had invalid authentication credentials"),
                Arguments.of("http_403_access_denied", always(error(403, "accessDenied", "Access Denied: Table")),
                        TableStatus.ERROR, 1, "BigQueryException: Access Denied: Table"),
                Arguments.of("http_403_quota_exceeded", always(error(403, "quotaExceeded", "Quota exceeded")),
                        TableStatus.ERROR, 1, "BigQueryException: Quota exceeded"),
                Arguments.of("http_403_rate_limit", always(error(403, "rateLimitExceeded", "Exceeded rate limits")),
                        TableStatus.ERROR, MAX_ATTEMPTS, "BigQueryException: Exceeded rate limits"),
                Arguments.of("http_404", always(error(404, "notFound", "Not found: Table")), TableStatus.NO_DATA, 1,
                        "provider returned no data: table test-project.ds.http_404 not found (404)"),
                Arguments.of("http_429", always(error(429, "rateLimitExceeded", "Too many requests")), TableStatus.ERROR,
                        MAX_ATTEMPTS, "BigQueryException: Too many requests"),
                Arguments.of("http_500", always(error(500, "internalError", "Internal error")), TableStatus.ERROR,
                        MAX_ATTEMPTS, "BigQueryException: Internal error"),
                Arguments.of("http_502", always(aResponse().withStatus(502).withHeader("Content-Type", "text/html")
                                .withBody("<html><body>502 Bad Gateway</body></html>")), TableStatus.ERROR, MAX_ATTEMPTS,
                        "BigQueryException: 502 Bad Gateway"),
                Arguments.of("http_503", always(error(503, "backendError", "Backend error")), TableStatus.ERROR, MAX_ATTEMPTS,
                        "BigQueryException: Backend error"),
                Arguments.of("http_504", always(error(504, "backendError", "Deadline exceeded")), TableStatus.ERROR,
                        MAX_ATTEMPTS, "BigQueryException: Deadline exceeded"),
                Arguments.of("malformed_json", always(WireMocks.json(200, "{\"kind\": \"bigquery#table\", \"numRows\": ")),
                        TableStatus.ERROR, 1, "BigQueryException: BigQuery's answer is not JSON: Unexpected end-of-input"),
                Arguments.of("empty_body", always(WireMocks.json(200, "")), TableStatus.ERROR, 1,
                        "BigQueryException: BigQuery's answer is not a JSON object"),
                Arguments.of("connection_reset", always(aResponse().withFault(
                                com.github.tomakehurst.wiremock.http.Fault.CONNECTION_RESET_BY_PEER)),
                        TableStatus.ERROR, MAX_ATTEMPTS, "BigQueryException: Connection reset"),
                Arguments.of("slower_than_timeout", always(WireMocks.json(200,
                                BigQueryJson.baseTable(P, "ds", "slow", 1, 1, "a")).withFixedDelay((int) TIMEOUT_MS + 1500)),
                        TableStatus.ERROR, MAX_ATTEMPTS, TIMED_OUT),
                Arguments.of("http_503_once", onceThenOk(), TableStatus.OK, 2, null),
                // answers not to be believed (issue 13)
                Arguments.of("redirect_to_other_table", always(aResponse().withStatus(307)
                                .withHeader("Location", BigQueryJson.tablePath(P, "ds", "decoy"))),
                        TableStatus.ERROR, 1, "BigQueryException: 307 Temporary Redirect"),
                Arguments.of("redirect_loop", always(aResponse().withStatus(302)
                                .withHeader("Location", BigQueryJson.tablePath(P, "ds", "redirect_loop"))),
                        TableStatus.ERROR, 1, "BigQueryException: 302 Found"),
                Arguments.of("trickled_answer", always(WireMocks.json(200, BigQueryJson.baseTable(P, "ds", "trickled_answer", 1, 1, "a"))
                                .withChunkedDribbleDelay(40, (int) TIMEOUT_MS * 4)),
                        TableStatus.ERROR, MAX_ATTEMPTS, TIMED_OUT),
                Arguments.of("huge_answer", always(WireMocks.json(200, BigQueryJson.table(P, "ds", "huge_answer", "TABLE",
                                "1", "1", List.of("a"), "\"description\":\"" + "x".repeat(5 * 1024 * 1024) + "\""))),
                        TableStatus.ERROR, 1, "BigQueryException: BigQuery's answer is larger than 4 MB"),
                Arguments.of("nested_50_deep", always(WireMocks.json(200, nested("nested_50_deep", 50))),
                        TableStatus.ERROR, 1, "BigQueryException: BigQuery's answer is nested deeper than 64 levels"),
                Arguments.of("negative_rows", always(WireMocks.json(200, BigQueryJson.baseTable(P, "ds", "negative_rows", -5,
                                100, "a"))),
                        TableStatus.ERROR, 1, "BigQueryException: BigQuery's answer has an impossible numRows (\"-5\")"),
                Arguments.of("another_table", always(WireMocks.json(200, BigQueryJson.baseTable(P, "ds", "decoy", 99, 99,
                                "a"))),
                        TableStatus.ERROR, 1, "BigQueryException: BigQuery answered about another table (test-project.ds.decoy)"));
    }

    /** A Table resource whose schema nests RECORDs {@code depth} deep. */
    static String nested(String table, int depth) {
        String field = "{\"name\":\"leaf\",\"type\":\"STRING\"}";
        for (int i = 0; i < depth; i++) {
            field = "{\"name\":\"r" + i + "\",\"type\":\"RECORD\",\"fields\":[" + field + "]}";
        }
        return BigQueryJson.baseTable(P, "ds", table, 1, 1, "a").replace("{\"name\":\"a\",\"type\":\"STRING\",\"mode\":\"NULLABLE\"}",
                field);
    }

    /** BigQuery's Retry-After is obeyed: the next attempt waits for it, not for the (shorter) backoff. */
    @org.junit.jupiter.api.Test
    void retryAfterIsObeyed() throws Exception {
        String table = "retry_after";
        service.registerRemote(table, "ds", table);
        String path = BigQueryJson.tablePath(P, "ds", table);
        bigQuery.stubFor(get(urlPathEqualTo(path)).inScenario(table).whenScenarioStateIs(STARTED)
                .willReturn(error(503, "backendError", "Backend error").withHeader("Retry-After", "2"))
                .willSetStateTo("recovered"));
        bigQuery.stubFor(get(urlPathEqualTo(path)).inScenario(table).whenScenarioStateIs("recovered")
                .willReturn(WireMocks.json(200, BigQueryJson.baseTable(P, "ds", table, 43, 4300, "a"))));
        assertThat(service.refreshOne(table).status()).isEqualTo(TableStatus.OK);
        List<ServeEvent> requests = WireMocks.requestsFor(bigQuery, P, "ds", table);
        assertThat(requests).hasSize(2);
        long gap = requests.get(0).getRequest().getLoggedDate().getTime()
                - requests.get(1).getRequest().getLoggedDate().getTime();
        assertThat(Math.abs(gap)).as("the wait BigQuery asked for, not the %d ms backoff", INITIAL_DELAY_MS)
                .isGreaterThanOrEqualTo(1900);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("faults")
    void outcomeAttemptsAndTheLastGoodNumbers(String table, Fault fault, TableStatus outcome, int attempts,
                                              String errorPrefix) throws Exception {
        service.registerRemote(table, "ds", table);
        WireMocks.serveTable(bigQuery, P, "ds", table, 42, 4200);
        assertThat(service.refreshOne(table).status()).isEqualTo(TableStatus.OK);
        Map<String, Object> good = service.cacheRow(table);
        int before = WireMocks.requestsFor(bigQuery, P, "ds", table).size();

        fault.install(table);
        long started = System.nanoTime();
        TableRefreshResult result = service.refreshOne(table);
        long durationMs = (System.nanoTime() - started) / 1_000_000;

        List<ServeEvent> requests = WireMocks.requestsFor(bigQuery, P, "ds", table);
        int seen = requests.size() - before;
        Map<String, Object> after = service.cacheRow(table);
        System.out.printf("| %s | %s | %d | %d | `%s` |%n", table, result.status(), seen, durationMs,
                String.valueOf(after.get("error_msg")).replaceAll("\\s+", " "));

        assertThat(result.status()).isEqualTo(outcome);
        assertThat(seen).as("attempts seen by the stand-in").isEqualTo(attempts);
        long backoff = 0;
        for (int i = 1; i < attempts; i++) {
            long expected = INITIAL_DELAY_MS << (i - 1);
            long gap = requests.get(before + i).getRequest().getLoggedDate().getTime()
                    - requests.get(before + i - 1).getRequest().getLoggedDate().getTime();
            assertThat(gap).as("backoff before attempt %d", i + 1).isGreaterThanOrEqualTo(expected);
            backoff += expected;
        }
        if (outcome == TableStatus.OK) {
            assertThat(result.error()).isNull();
            assertThat(after).containsEntry("rows", 43L).containsEntry("error_msg", null).containsEntry("error_at", null);
        } else {
            assertThat((String) after.get("error_msg")).startsWith(errorPrefix).isEqualTo(result.error());
            assertThat(after.get("error_at")).isNotNull();
            assertThat(after).containsEntry("rows", 42L).containsEntry("size_bytes", 4200L)
                    .containsEntry("refreshed_at", good.get("refreshed_at"))
                    .containsEntry("known_columns", good.get("known_columns"))
                    .containsEntry("entity_type", "BASE TABLE");
        }
        assertThat(durationMs).as("bounded by attempts x (timeout + backoff)")
                .isLessThanOrEqualTo(attempts * TIMEOUT_MS + backoff + 1500);
    }
}
