package io.agnes.bqmc.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
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
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Twenty callers at once: one run, nineteen 409s that name it, each table fetched once. */
class ConcurrentRunRequestsTest {

    static final int CALLERS = 20;
    static final int TABLES = 6;

    @TempDir
    Path dir;

    @Test
    void exactlyOneRunAndNineteenConflictsNamingIt() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 1, 1, 1500);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ops@example.com", Role.ADMIN, null);
        ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
        try (TestService service = TestService.start(env)) {
            for (int i = 0; i < TABLES; i++) {
                service.registerRemote("t" + i, "ds", "t" + i);
            }
            ApiClient api = new ApiClient(Integer.parseInt(env.get("PORT")));
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Answer>> calls = new ArrayList<>();
            for (int i = 0; i < CALLERS; i++) {
                calls.add(pool.submit(() -> {
                    go.await();
                    return api.post("/api/admin/run-bq-metadata-refresh", admin);
                }));
            }
            go.countDown();
            List<Answer> answers = new ArrayList<>();
            for (Future<Answer> call : calls) {
                answers.add(call.get());
            }

            List<Answer> ok = answers.stream().filter(a -> a.status() == 200).toList();
            List<Answer> conflicts = answers.stream().filter(a -> a.status() == 409).toList();
            assertThat(ok).hasSize(1);
            assertThat(conflicts).hasSize(CALLERS - 1);
            JsonNode run = ok.get(0).json();
            assertThat(run.get("succeeded").asInt()).isEqualTo(TABLES);
            for (Answer conflict : conflicts) {
                JsonNode detail = conflict.json().get("detail");
                assertThat(ApiTest.fieldNames(detail)).containsExactly("reason", "run_id", "started_at", "hint");
                assertThat(detail.get("reason").asText()).isEqualTo("already_running");
                assertThat(detail.get("run_id").asText()).isEqualTo(run.get("run_id").asText());
                assertThat(detail.get("started_at").asText()).isEqualTo(run.get("started_at").asText());
                assertThat(detail.get("hint").asText())
                        .isEqualTo("A refresh is already in flight; this caller is a no-op.");
            }
            assertThat(bigQuery.getAllServeEvents()).hasSize(TABLES);
        } finally {
            pool.shutdownNow();
            bigQuery.stop();
        }
    }
}
