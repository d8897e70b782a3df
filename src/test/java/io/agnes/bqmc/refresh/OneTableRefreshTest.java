package io.agnes.bqmc.refresh;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Single-table refreshes through the API are bounded like a run, and many callers refreshing
 * one table at once share one lookup; an analyst's status answers meanwhile.
 */
class OneTableRefreshTest {

    @TempDir
    Path dir;

    @Test
    void manyCallersOfOneTableShareOneLookupAndManyTablesStayWithinTheBound() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 5, 50, 400);
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ana@example.com", Role.ADMIN, null);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("AGNES_BQ_METADATA_REFRESH_CONCURRENCY", "3");
        ExecutorService callers = Executors.newFixedThreadPool(40);
        try (TestService service = TestService.start(env)) {
            ApiClient api = new ApiClient(Integer.parseInt(env.get("PORT")));
            for (int i = 0; i < 12; i++) {
                service.registerRemote("t" + i, "ds", "t" + i);
            }

            List<CompletableFuture<ApiClient.Answer>> same = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                same.add(CompletableFuture.supplyAsync(
                        () -> api.post("/api/v2/metadata-cache/refresh?table=t0", admin), callers));
            }
            for (CompletableFuture<ApiClient.Answer> answer : same) {
                assertThat(answer.get().status()).as(answer.get().body()).isEqualTo(200);
                assertThat(answer.get().json().get("status").asText()).isEqualTo("ok");
            }
            assertThat(WireMocks.requestsFor(bigQuery, "test-project", "ds", "t0")).as("one lookup for 30 callers")
                    .hasSizeLessThanOrEqualTo(2);

            bigQuery.resetRequests();
            List<CompletableFuture<ApiClient.Answer>> many = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                String table = "t" + i;
                many.add(CompletableFuture.supplyAsync(
                        () -> api.post("/api/v2/metadata-cache/refresh?table=" + table, admin), callers));
            }
            long started = System.nanoTime();
            ApiClient.Answer status = api.get("/api/v2/metadata-cache/status", admin);
            long statusMs = (System.nanoTime() - started) / 1_000_000;
            for (CompletableFuture<ApiClient.Answer> answer : many) {
                assertThat(answer.get().status()).isEqualTo(200);
            }
            assertThat(WireMocks.maxInFlight(bigQuery.getAllServeEvents())).as("bounded like a run").isLessThanOrEqualTo(3);
            assertThat(status.status()).isEqualTo(200);
            assertThat(statusMs).as("the status does not wait behind the refreshes").isLessThan(1000);
        } finally {
            callers.shutdownNow();
            bigQuery.stop();
        }
    }
}
