package io.agnes.bqmc.bigquery;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import io.agnes.bqmc.refresh.RunSummary;
import io.agnes.bqmc.support.BigQueryJson;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Contract section 5: retryable failures get exactly BIGQUERY_MAX_ATTEMPTS requests with
 * doubling backoff; final ones exactly one; a success needs exactly one.
 */
class RetryTest {

    static final String P = "test-project";
    static final int MAX_ATTEMPTS = 3;
    static final long INITIAL_DELAY_MS = 100;

    @TempDir
    static Path dir;

    static WireMockServer bigQuery;
    static TestService service;
    static RunSummary summary;

    @BeforeAll
    static void runOnce() throws Exception {
        bigQuery = WireMocks.startBigQuery();
        WireMocks.serveError(bigQuery, P, "ds", "t503", 503, "backendError", "Backend error");
        WireMocks.serveError(bigQuery, P, "ds", "t500", 500, "internalError", "Internal error");
        WireMocks.serveError(bigQuery, P, "ds", "t429", 429, "rateLimitExceeded", "Too many requests");
        WireMocks.serveError(bigQuery, P, "ds", "t403rate", 403, "rateLimitExceeded", "Exceeded rate limits");
        WireMocks.serveError(bigQuery, P, "ds", "t403denied", 403, "accessDenied", "Access Denied: Table");
        WireMocks.serveError(bigQuery, P, "ds", "t403quota", 403, "quotaExceeded", "Quota exceeded");
        WireMocks.serveError(bigQuery, P, "ds", "t400", 400, "invalid", "Invalid table ID");
        WireMocks.serveError(bigQuery, P, "ds", "t401", 401, "authError", "Request had invalid credentials");
        WireMocks.serveError(bigQuery, P, "ds", "t404", 404, "notFound", "Not found: Table");
        bigQuery.stubFor(get(urlPathEqualTo(BigQueryJson.tablePath(P, "ds", "treset")))
                .willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse()
                        .withFault(Fault.CONNECTION_RESET_BY_PEER)));
        // fails once, then answers: the retry turns it into a success
        String flaky = BigQueryJson.tablePath(P, "ds", "tflaky");
        bigQuery.stubFor(get(urlPathEqualTo(flaky)).inScenario("flaky").whenScenarioStateIs(STARTED)
                .willReturn(WireMocks.json(503, BigQueryJson.error(503, "backendError", "Backend error")))
                .willSetStateTo("recovered"));
        bigQuery.stubFor(get(urlPathEqualTo(flaky)).inScenario("flaky").whenScenarioStateIs("recovered")
                .willReturn(WireMocks.json(200, BigQueryJson.baseTable(P, "ds", "tflaky", 5, 50, "a"))));
        WireMocks.serveTable(bigQuery, P, "ds", "tok", 1, 10);

        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("BIGQUERY_MAX_ATTEMPTS", Integer.toString(MAX_ATTEMPTS));
        env.put("BIGQUERY_RETRY_INITIAL_DELAY_MS", Long.toString(INITIAL_DELAY_MS));
        service = TestService.start(env);
        for (String t : List.of("t503", "t500", "t429", "t403rate", "t403denied", "t403quota", "t400", "t401", "t404",
                "treset", "tflaky", "tok")) {
            service.registerRemote(t, "ds", t);
        }
        summary = service.runAll();
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        bigQuery.stop();
    }

    static int attempts(String table) {
        return WireMocks.requestsFor(bigQuery, P, "ds", table).size();
    }

    @Test
    void retryableFailuresAreTriedMaxAttemptsTimes() throws Exception {
        for (String t : List.of("t503", "t500", "t429", "t403rate", "treset")) {
            assertThat(attempts(t)).as(t).isEqualTo(MAX_ATTEMPTS);
            assertThat((String) service.cacheRow(t).get("error_msg")).as(t).startsWith("BigQueryException: ");
        }
    }

    @Test
    void finalFailuresAreTriedOnce() throws Exception {
        for (String t : List.of("t403denied", "t403quota", "t400", "t401", "t404")) {
            assertThat(attempts(t)).as(t).isEqualTo(1);
        }
        assertThat((String) service.cacheRow("t403denied").get("error_msg"))
                .isEqualTo("BigQueryException: Access Denied: Table");
        assertThat((String) service.cacheRow("t404").get("error_msg")).startsWith("provider returned no data: ");
    }

    @Test
    void aTransientFailureThenSuccessIsOk() throws Exception {
        assertThat(attempts("tflaky")).isEqualTo(2);
        assertThat(service.cacheRow("tflaky")).containsEntry("rows", 5L).containsEntry("error_msg", null);
        assertThat(attempts("tok")).isEqualTo(1);
    }

    @Test
    void backoffDoublesBetweenAttempts() {
        List<ServeEvent> events = WireMocks.requestsFor(bigQuery, P, "ds", "t503");
        long first = events.get(0).getRequest().getLoggedDate().getTime();
        long second = events.get(1).getRequest().getLoggedDate().getTime();
        long third = events.get(2).getRequest().getLoggedDate().getTime();
        assertThat(second - first).isGreaterThanOrEqualTo(INITIAL_DELAY_MS);
        assertThat(third - second).isGreaterThanOrEqualTo(2 * INITIAL_DELAY_MS);
    }

    @Test
    void runCountsEveryOutcome() {
        assertThat(summary.total()).isEqualTo(12);
        assertThat(summary.succeeded()).isEqualTo(2);
        assertThat(summary.noData()).isEqualTo(1);
        assertThat(summary.failed()).isEqualTo(9);
        assertThat(summary.succeeded() + summary.noData() + summary.failed()).isEqualTo(summary.total());
    }
}
