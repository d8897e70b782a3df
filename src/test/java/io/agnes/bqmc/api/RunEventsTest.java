package io.agnes.bqmc.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
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
 * The live progress stream against the running service: event order and content, a client
 * joining mid-run and one joining between runs, 50 listeners with one that never reads, a run
 * whose tables fail, and what a caller without a valid token gets.
 */
class RunEventsTest {

    private static final String RUN = "/api/admin/run-bq-metadata-refresh";

    @TempDir
    Path dir;

    @Test
    void aRunIsStreamedAsStartRowsSnapshotsAndComplete() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 5, 50, 700);
        WireMocks.serveError(bigQuery, "test-project", "ds", "t5", 403, "accessDenied", "Access Denied: Table");
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ana@example.com", Role.ADMIN, null);
        String analyst = TokenIssuer.issue(dir.resolve("tokens"), "bo@example.com", Role.ANALYST, null);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        try (TestService service = TestService.start(env)) {
            int port = Integer.parseInt(env.get("PORT"));
            ApiClient api = new ApiClient(port);
            for (int i = 0; i < 6; i++) {
                service.registerRemote("t" + i, "ds", "t" + i);
            }

            // refused without a valid token, or with one in the URL
            try (SseClient none = SseClient.open(port, RunEvents.PATH, null)) {
                assertThat(none.status()).isEqualTo(401);
                assertThat(none.header("WWW-Authenticate")).isEqualTo("Bearer");
            }
            try (SseClient inUrl = SseClient.open(port, RunEvents.PATH + "?authorization=Bearer%20" + analyst, null)) {
                assertThat(inUrl.status()).isEqualTo(401);
            }

            // an analyst watches a run from its start
            try (SseClient watcher = SseClient.open(port, RunEvents.PATH, analyst)) {
                assertThat(watcher.status()).isEqualTo(200);
                assertThat(watcher.header("Content-Type")).startsWith("text/event-stream");
                assertThat(watcher.header("X-Request-Id")).isNotBlank();
                assertThat(watcher.events()).as("no run yet: nothing to tell").isEmpty();
                CompletableFuture<ApiClient.Answer> run = CompletableFuture.supplyAsync(() -> api.post(RUN, admin));

                // a client joining mid-run gets where it stands first
                watcher.await(e -> e.name().equals("row"), Duration.ofSeconds(10));
                try (SseClient late = SseClient.open(port, RunEvents.PATH, analyst)) {
                    SseClient.Event first = late.await(e -> true, Duration.ofSeconds(5));
                    assertThat(first.name()).isEqualTo("snapshot");
                    assertThat(first.data().get("done").asLong()).isBetween(1L, 6L);
                    assertThat(first.data().get("total").asLong()).isEqualTo(6);
                }

                JsonNode answer = run.get().json();
                SseClient.Event complete = watcher.await(e -> e.name().equals("complete"), Duration.ofSeconds(10));
                List<SseClient.Event> events = watcher.events();
                assertThat(events.get(0).name()).isEqualTo("start");
                JsonNode start = events.get(0).data();
                assertThat(start.get("run_id").asText()).isEqualTo(answer.get("run_id").asText());
                assertThat(start.get("total").asInt()).isEqualTo(6);
                assertThat(start.get("trigger").asText()).isEqualTo("api");
                assertThat(start.get("replica").asText()).isNotBlank();
                assertThat(start.get("started_at").asText()).endsWith("+00:00");
                assertThat(events.get(events.size() - 1)).isEqualTo(complete);

                List<SseClient.Event> rows = watcher.events("row");
                Set<String> tables = new HashSet<>();
                rows.forEach(r -> tables.add(r.data().get("table_id").asText()));
                assertThat(tables).containsExactlyInAnyOrder("t0", "t1", "t2", "t3", "t4", "t5");
                assertThat(rows).filteredOn(r -> r.data().get("table_id").asText().equals("t5")).singleElement()
                        .satisfies(r -> assertThat(r.data().get("status").asText()).isEqualTo("error"));
                assertThat(rows).allSatisfy(r -> assertThat(r.data().get("fetch_ms").isIntegralNumber()).isTrue());

                // a snapshot at least every second of a run that takes more than one
                List<SseClient.Event> snapshots = watcher.events("snapshot");
                assertThat(snapshots).isNotEmpty().allSatisfy(s -> {
                    assertThat(s.data().get("total").asLong()).isEqualTo(6);
                    assertThat(s.data().get("done").asLong()).isEqualTo(s.data().get("ok").asLong()
                            + s.data().get("no_data").asLong() + s.data().get("error").asLong());
                    assertThat(s.data().has("rate") && s.data().has("eta_seconds")).isTrue();
                });

                for (String counter : List.of("run_id", "total", "succeeded", "no_data", "failed", "duration_ms")) {
                    assertThat(complete.data().get(counter)).as(counter).isEqualTo(answer.get(counter));
                }
                assertThat(complete.data().get("failed").asInt()).isEqualTo(1);
            }

            // between runs: the newest run's complete, and the stream stays open for the next
            try (SseClient between = SseClient.open(port, RunEvents.PATH, analyst)) {
                SseClient.Event first = between.await(e -> true, Duration.ofSeconds(5));
                assertThat(first.name()).isEqualTo("complete");
                assertThat(first.data().get("total").asInt()).isEqualTo(6);
                api.post(RUN, admin);
                between.await(e -> e.name().equals("start"), Duration.ofSeconds(10));
                assertThat(between.await(e -> e.name().equals("complete") && e != first, Duration.ofSeconds(10)))
                        .isNotNull();
            }
        } finally {
            bigQuery.stop();
        }
    }

    /** 50 listeners, one of which never reads: the run is not held up, and the others get every event. */
    @Test
    void aListenerThatNeverReadsHoldsNoOneUp() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 5, 50, 0);
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ana@example.com", Role.ADMIN, null);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("AGNES_BQ_METADATA_REFRESH_CONCURRENCY", "16");
        TestService.seedRemoteTables(dir.resolve("system.duckdb"), 3000);
        try (TestService service = TestService.start(env);
             Socket stuck = new Socket("127.0.0.1", Integer.parseInt(env.get("PORT")))) {
            int port = Integer.parseInt(env.get("PORT"));
            long baselineMs = new ApiClient(port).post(RUN, admin).json().get("duration_ms").asLong();
            stuck.setReceiveBufferSize(4096);
            stuck.getOutputStream().write(("GET " + RunEvents.PATH + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + admin + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            List<SseClient> readers = new ArrayList<>();
            for (int i = 0; i < 49; i++) {
                readers.add(SseClient.open(port, RunEvents.PATH, admin));
            }
            RunEvents events = service.context().getRegistry().lookupByNameAndType("runEvents", RunEvents.class);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> events.listeners() == 50);

            ApiClient.Answer run = new ApiClient(port).post(RUN, admin);
            assertThat(run.status()).isEqualTo(200);
            assertThat(run.json().get("total").asInt()).isEqualTo(3000);
            assertThat(run.json().get("duration_ms").asLong()).as("the run with 50 listeners, against one with none")
                    .isLessThan(4 * baselineMs + 3000);
            for (SseClient reader : readers) {
                // (each reader's first event was the baseline run's complete)
                SseClient.Event complete = reader.await(e -> e.name().equals("complete")
                        && e.data().get("run_id").equals(run.json().get("run_id")), Duration.ofSeconds(30));
                assertThat(complete.data().get("total").asInt()).isEqualTo(3000);
                assertThat(reader.events("start")).hasSize(1);
                // rows a reader could not take in time are dropped (a snapshot follows once it catches up,
                // if the run is still in flight), never repeated; start and complete always arrive
                List<String> rows = reader.events("row").stream().map(r -> r.data().get("table_id").asText()).toList();
                assertThat(new HashSet<>(rows)).hasSameSizeAs(rows);
                assertThat(rows.size()).isLessThanOrEqualTo(3000);
                reader.close();
            }
            assertThat(events.maxQueued()).as("what waits for the one that never reads is bounded")
                    .isLessThanOrEqualTo(RunEvents.QUEUE + 2);
        } finally {
            bigQuery.stop();
        }
    }
}
