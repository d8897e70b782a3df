package io.agnes.bqmc.reliability;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
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
 * Every way BigQuery can fail one table, one row each: the outcome, the stored error, the
 * attempts the stand-in saw, the last good numbers untouched, and a bounded duration.
 * Figures are printed as a table for docs/RELIABILITY.md.
 */
class FaultMatrixTest {

    static final String P = "test-project";
    static final int MAX_ATTEMPTS = 3;
    static final long INITIAL_DELAY_MS = 50;
    static final long TIMEOUT_MS = 1000;

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

    static Stream<Arguments> faults() {
        String retried = "BigQueryException: ";
        return Stream.of(
                Arguments.of("http_400", error(400, "invalid", "Invalid table ID"), TableStatus.ERROR, 1,
                        "BigQueryException: Invalid table ID"),
                Arguments.of("http_401", error(401, "authError", "Request had invalid authentication credentials"),
                        TableStatus.ERROR, 1, "BigQueryException: Request had invalid authentication credentials"),
                Arguments.of("http_403_access_denied", error(403, "accessDenied", "Access Denied: Table"),
                        TableStatus.ERROR, 1, "BigQueryException: Access Denied: Table"),
                Arguments.of("http_403_quota_exceeded", error(403, "quotaExceeded", "Quota exceeded"),
                        TableStatus.ERROR, 1, "BigQueryException: Quota exceeded"),
                Arguments.of("http_403_rate_limit", error(403, "rateLimitExceeded", "Exceeded rate limits"),
                        TableStatus.ERROR, MAX_ATTEMPTS, "BigQueryException: Exceeded rate limits"),
                Arguments.of("http_404", error(404, "notFound", "Not found: Table"), TableStatus.NO_DATA, 1,
                        "provider returned no data: table test-project.ds.http_404 not found (404)"),
                Arguments.of("http_429", error(429, "rateLimitExceeded", "Too many requests"), TableStatus.ERROR,
                        MAX_ATTEMPTS, "BigQueryException: Too many requests"),
                Arguments.of("http_500", error(500, "internalError", "Internal error"), TableStatus.ERROR,
                        MAX_ATTEMPTS, "BigQueryException: Internal error"),
                Arguments.of("http_502", aResponse().withStatus(502).withHeader("Content-Type", "text/html")
                                .withBody("<html><body>502 Bad Gateway</body></html>"), TableStatus.ERROR, MAX_ATTEMPTS,
                        retried),
                Arguments.of("http_503", error(503, "backendError", "Backend error"), TableStatus.ERROR, MAX_ATTEMPTS,
                        "BigQueryException: Backend error"),
                Arguments.of("http_504", error(504, "backendError", "Deadline exceeded"), TableStatus.ERROR,
                        MAX_ATTEMPTS, "BigQueryException: Deadline exceeded"),
                Arguments.of("malformed_json", WireMocks.json(200, "{\"kind\": \"bigquery#table\", \"numRows\": "),
                        TableStatus.ERROR, 1, ""),
                Arguments.of("empty_body", WireMocks.json(200, ""), TableStatus.ERROR, 1, ""),
                Arguments.of("connection_reset", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER),
                        TableStatus.ERROR, MAX_ATTEMPTS, "BigQueryException: "),
                Arguments.of("slower_than_timeout", WireMocks.json(200, BigQueryJson.baseTable(P, "ds", "slow", 1, 1, "a"))
                        .withFixedDelay((int) TIMEOUT_MS + 1500), TableStatus.ERROR, MAX_ATTEMPTS,
                        "BigQueryException: no answer from BigQuery within BIGQUERY_TIMEOUT_SECONDS"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("faults")
    void faultIsRecordedAndTheLastGoodNumbersStay(String table, ResponseDefinitionBuilder fault, TableStatus outcome,
                                                  int attempts, String errorPrefix) throws Exception {
        service.registerRemote(table, "ds", table);
        WireMocks.serveTable(bigQuery, P, "ds", table, 42, 4200);
        assertThat(service.refreshOne(table).status()).isEqualTo(TableStatus.OK);
        Map<String, Object> good = service.cacheRow(table);
        int before = WireMocks.requestsFor(bigQuery, P, "ds", table).size();

        bigQuery.stubFor(get(urlPathEqualTo(BigQueryJson.tablePath(P, "ds", table))).willReturn(fault));
        long started = System.nanoTime();
        TableRefreshResult result = service.refreshOne(table);
        long durationMs = (System.nanoTime() - started) / 1_000_000;

        int seen = WireMocks.requestsFor(bigQuery, P, "ds", table).size() - before;
        Map<String, Object> after = service.cacheRow(table);
        System.out.printf("| %s | %s | %d | %d | `%s` |%n", table, result.status(), seen, durationMs,
                String.valueOf(after.get("error_msg")).replaceAll("\\s+", " "));

        assertThat(result.status()).isEqualTo(outcome);
        assertThat(seen).as("attempts seen by the stand-in").isEqualTo(attempts);
        assertThat((String) after.get("error_msg")).startsWith(errorPrefix).isEqualTo(result.error());
        assertThat(after.get("error_at")).isNotNull();
        assertThat(after).containsEntry("rows", 42L).containsEntry("size_bytes", 4200L)
                .containsEntry("refreshed_at", good.get("refreshed_at"))
                .containsEntry("known_columns", good.get("known_columns"))
                .containsEntry("entity_type", "BASE TABLE");
        long backoff = 0;
        for (int i = 1; i < attempts; i++) {
            backoff += INITIAL_DELAY_MS << (i - 1);
        }
        assertThat(durationMs).as("bounded by attempts x (timeout + backoff)")
                .isLessThanOrEqualTo(attempts * TIMEOUT_MS + backoff + 1500);
    }
}
