package io.agnes.bqmc.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 1-second timer and fifty REST triggers against a slow BigQuery: runs never overlap, as
 * measured at the stand-in (every table's n-th request ends before any table's (n+1)-th starts).
 */
class OverlapUnderPressureTest {

    static final int TABLES = 4;
    static final int CALLERS = 50;

    @TempDir
    Path dir;

    @Test
    void timerTicksAndFiftyTriggersNeverOverlap() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 1, 1, 250);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("SCHEDULER_STARTUP_GRACE_SECONDS", "0");
        env.put("SCHEDULER_BQ_METADATA_REFRESH_INTERVAL", "1");
        env.put("AGNES_BQ_METADATA_REFRESH_CONCURRENCY", "2");
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ops@example.com", Role.ADMIN, null);
        ExecutorService pool = Executors.newFixedThreadPool(10);
        int ok = 0;
        int conflicts = 0;
        List<Map<String, Object>> runs;
        try (TestService service = TestService.start(env)) {
            for (int i = 0; i < TABLES; i++) {
                service.registerRemote("t" + i, "ds", "t" + i);
            }
            ApiClient api = new ApiClient(Integer.parseInt(env.get("PORT")));
            List<Future<Integer>> calls = new ArrayList<>();
            for (int i = 0; i < CALLERS; i++) {
                int delay = i * 60;
                calls.add(pool.submit(() -> {
                    Thread.sleep(delay);
                    return api.post("/api/admin/run-bq-metadata-refresh", admin).status();
                }));
            }
            for (Future<Integer> call : calls) {
                int status = call.get();
                assertThat(status).isIn(200, 409);
                ok += status == 200 ? 1 : 0;
                conflicts += status == 409 ? 1 : 0;
            }
            service.context().getRouteController().stopRoute("bq-metadata-refresh-timer");
            runs = service.query("SELECT run_id, CAST(started_at AS VARCHAR) AS started_at,"
                    + " CAST(finished_at AS VARCHAR) AS finished_at FROM bqmc_run_history ORDER BY started_at");
        } finally {
            pool.shutdownNow();
            bigQuery.stop();
        }

        Map<String, List<ServeEvent>> perTable = new HashMap<>();
        for (ServeEvent e : bigQuery.getAllServeEvents()) {
            String url = e.getRequest().getUrl();
            String table = url.substring(url.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
            perTable.computeIfAbsent(table, k -> new ArrayList<>()).add(e);
        }
        assertThat(perTable).hasSize(TABLES);
        // per table, requests never overlap in time: no two runs ever asked for it at once
        int rounds = 0;
        for (Map.Entry<String, List<ServeEvent>> entry : perTable.entrySet()) {
            List<ServeEvent> list = entry.getValue();
            list.sort(Comparator.comparing(e -> e.getRequest().getLoggedDate()));
            for (int i = 0; i + 1 < list.size(); i++) {
                long end = list.get(i).getRequest().getLoggedDate().getTime() + list.get(i).getTiming().getTotalTime();
                assertThat(list.get(i + 1).getRequest().getLoggedDate().getTime())
                        .as("%s: request %d starts after request %d ended", entry.getKey(), i + 1, i)
                        .isGreaterThanOrEqualTo(end);
            }
            rounds = Math.max(rounds, list.size());
        }
        // and across tables: the runs the service recorded never overlap either
        for (int i = 0; i + 1 < runs.size(); i++) {
            assertThat(runs.get(i + 1).get("started_at").toString())
                    .as("run %s starts after run %s finished", runs.get(i + 1).get("run_id"), runs.get(i).get("run_id"))
                    .isGreaterThanOrEqualTo(runs.get(i).get("finished_at").toString());
        }
        System.out.printf("overlap: %d runs recorded (%d by REST, the rest by the timer), %d REST callers refused,"
                + " at most %d requests for one table%n", runs.size(), ok, conflicts, rounds);
        assertThat(ok).isGreaterThanOrEqualTo(1);
        assertThat(conflicts).isGreaterThanOrEqualTo(1);
        assertThat(runs.size()).isGreaterThanOrEqualTo(ok + 1);
    }
}
