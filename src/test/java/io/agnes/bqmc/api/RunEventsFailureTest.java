package io.agnes.bqmc.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.SseClient;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run that ends in a failure instead of a record (its second page of the registry cannot be
 * read: the table is gone under it) still ends its stream's story: a {@code complete} with the
 * counters so far and the error, and the stream stays open for the next run.
 */
class RunEventsFailureTest {

    @TempDir
    Path dir;

    @Test
    void aRunThatFailsEndsWithACompleteThatSaysWhy() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 5, 50, 2);
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ana@example.com", Role.ADMIN, null);
        TestService.seedRemoteTables(dir.resolve("system.duckdb"), 6000); // two pages of the registry
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        try (TestService service = TestService.start(env)) {
            int port = Integer.parseInt(env.get("PORT"));
            try (SseClient watcher = SseClient.open(port, RunEvents.PATH, admin)) {
                CompletableFuture<ApiClient.Answer> run = CompletableFuture.supplyAsync(() ->
                        new ApiClient(port).post("/api/admin/run-bq-metadata-refresh", admin));
                SseClient.Event start = watcher.await(e -> e.name().equals("start"), Duration.ofSeconds(10));
                assertThat(start.data().get("total").asInt()).isEqualTo(6000);
                watcher.await(e -> e.name().equals("row"), Duration.ofSeconds(10));
                service.update("ALTER TABLE table_registry RENAME TO table_registry_moved");

                assertThat(run.get().status()).as(run.get().body()).isIn(500, 503);
                SseClient.Event complete = watcher.await(e -> e.name().equals("complete"), Duration.ofSeconds(30));
                assertThat(complete.data().get("run_id")).isEqualTo(start.data().get("run_id"));
                assertThat(complete.data().get("error").asText()).isNotBlank();
                assertThat(complete.data().get("total").asInt()).isBetween(1, 5000)
                        .isEqualTo(complete.data().get("succeeded").asInt() + complete.data().get("no_data").asInt()
                                + complete.data().get("failed").asInt());
                assertThat(watcher.events().get(watcher.events().size() - 1)).isEqualTo(complete);
                // counted as a failed run, though the API's error mapping handled its error
                assertThat(service.meters().find("bqmc.runs.failed").tag("trigger", "rest").counter().count())
                        .isEqualTo(1);

                // and nothing of it is left behind: the next run goes through, on the same stream (over
                // fewer tables: what it shows is that it completes, not 6,000 lookups more)
                service.update("ALTER TABLE table_registry_moved RENAME TO table_registry");
                service.update("DELETE FROM table_registry WHERE id NOT IN ('t1', 't2', 't3')");
                ApiClient.Answer next = new ApiClient(port).post("/api/admin/run-bq-metadata-refresh", admin);
                assertThat(next.status()).as(next.body()).isEqualTo(200);
                assertThat(watcher.await(e -> e.name().equals("complete")
                        && e.data().get("run_id").equals(next.json().get("run_id")), Duration.ofSeconds(10))
                        .data().get("total").asInt()).isEqualTo(3);
            }
        } finally {
            bigQuery.stop();
        }
    }
}
