package io.agnes.bqmc.refresh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.ApiClient.Answer;
import io.agnes.bqmc.support.LogCapture;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Contract sections 7 and 8: one run at a time. Round after round, callers released together
 * get one 200 and 409s that name that run, answered at once rather than after it; a timer
 * tick during the run is skipped with one INFO line naming it; BigQuery sees each table once per
 * round; and the runs the service records never overlap.
 */
class SingleFlightTest {

    static final int TABLES = 4;
    static final int CALLERS = 10;
    static final int ROUNDS = 3;
    static final String RUN = "/api/admin/run-bq-metadata-refresh";

    @TempDir
    Path dir;

    WireMockServer bigQuery;
    TestService service;
    ApiClient api;
    String admin;
    ExecutorService callers;

    @BeforeEach
    void start() throws Exception {
        bigQuery = WireMocks.startBigQuery();
        // a run of 4 tables two at a time takes ~1.2 s: long enough for every caller to arrive during it
        WireMocks.serveAnyTable(bigQuery, 1, 1, 600);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("AGNES_BQ_METADATA_REFRESH_CONCURRENCY", "2");
        admin = TokenIssuer.issue(dir.resolve("tokens"), "ops@example.com", Role.ADMIN, null);
        service = TestService.start(env);
        service.replaceTimer();
        for (int i = 0; i < TABLES; i++) {
            service.registerRemote("t" + i, "ds", "t" + i);
        }
        api = new ApiClient(Integer.parseInt(env.get("PORT")));
        callers = Executors.newFixedThreadPool(CALLERS);
    }

    @AfterEach
    void stop() throws Exception {
        callers.shutdownNow();
        service.close();
        bigQuery.stop();
    }

    record Call(Answer answer, long answeredNanos) {
    }

    @Test
    void oneRunPerRoundAndEveryOtherCallerAndTickIsToldWhich() throws Exception {
        try (LogCapture logs = LogCapture.open()) {
            for (int round = 1; round <= ROUNDS; round++) {
                int requestsBefore = bigQuery.getAllServeEvents().size();
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Call>> calls = new ArrayList<>();
                for (int i = 0; i < CALLERS; i++) {
                    calls.add(callers.submit(() -> {
                        go.await();
                        Answer answer = api.post(RUN, admin);
                        return new Call(answer, System.nanoTime());
                    }));
                }
                go.countDown();
                // the run is in flight once BigQuery has its first request of this round
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> bigQuery.getAllServeEvents().size() > requestsBefore);
                service.tick();

                List<Call> answers = new ArrayList<>();
                for (Future<Call> call : calls) {
                    answers.add(call.get());
                }
                List<Call> ok = answers.stream().filter(c -> c.answer().status() == 200).toList();
                List<Call> refused = answers.stream().filter(c -> c.answer().status() == 409).toList();
                assertThat(ok).as("round %d", round).hasSize(1);
                assertThat(refused).as("round %d", round).hasSize(CALLERS - 1);

                JsonNode run = ok.get(0).answer().json();
                String runId = run.get("run_id").asText();
                for (Call conflict : refused) {
                    JsonNode detail = conflict.answer().json().get("detail");
                    assertThat(fieldNames(detail)).containsExactly("reason", "run_id", "started_at", "hint");
                    assertThat(detail.get("reason").asText()).isEqualTo("already_running");
                    assertThat(detail.get("run_id").asText()).isEqualTo(runId);
                    assertThat(detail.get("started_at").asText()).isEqualTo(run.get("started_at").asText());
                    assertThat(detail.get("hint").asText())
                            .isEqualTo("A refresh is already in flight; this caller is a no-op.");
                    assertThat(conflict.answeredNanos()).as("refused at once, not after the run")
                            .isLessThan(ok.get(0).answeredNanos());
                }
                assertThat(run.get("succeeded").asInt()).isEqualTo(TABLES);
                assertThat(bigQuery.getAllServeEvents().size() - requestsBefore).as("each table once").isEqualTo(TABLES);
                assertThat(logs.linesContaining("bq metadata refresh skipped: run_id=" + runId + " is in flight"))
                        .singleElement().satisfies(line -> assertThat(line).startsWith("INFO "));
            }
        }

        List<Map<String, Object>> runs = service.query("SELECT run_id, trigger, CAST(started_at AS VARCHAR) AS started,"
                + " CAST(finished_at AS VARCHAR) AS finished FROM bqmc_run_history ORDER BY started_at");
        assertThat(runs).hasSize(ROUNDS).allSatisfy(r -> assertThat(r.get("trigger")).isEqualTo("rest"));
        for (int i = 0; i + 1 < runs.size(); i++) {
            assertThat((String) runs.get(i + 1).get("started")).as("run %d starts after run %d finished", i + 1, i)
                    .isGreaterThanOrEqualTo((String) runs.get(i).get("finished"));
        }
    }

    static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
