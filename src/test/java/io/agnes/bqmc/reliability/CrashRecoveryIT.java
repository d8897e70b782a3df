package io.agnes.bqmc.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.ChildService;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGKILL in the middle of a slow run: the database opens again, the last good numbers are there. */
class CrashRecoveryIT {

    static final int TABLES = 6;

    @TempDir
    Path dir;

    @Test
    void killedMidRunThenRestartedOnTheSameDatabase() throws Exception {
        Path db = dir.resolve("system.duckdb");
        TestService.seedRemoteTables(db, TABLES);
        try (Connection c = TestService.openDuckDb(db); Statement s = c.createStatement()) {
            s.execute("INSERT INTO bq_metadata_cache SELECT id, 100, 1000, NULL, '[]', 'BASE TABLE', '[\"a\"]',"
                    + " TIMESTAMP '2026-11-01 00:00:00', NULL, NULL FROM table_registry");
        }
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 7, 70, 1500);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("AGNES_BQ_METADATA_REFRESH_CONCURRENCY", "2");
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ops@example.com", Role.ADMIN, null);
        int port = Integer.parseInt(env.get("PORT"));
        try {
            try (ChildService child = ChildService.start(env, dir.resolve("service.log"))) {
                child.awaitHttp(port, Duration.ofSeconds(60));
                ApiClient api = new ApiClient(port);
                CompletableFuture.runAsync(() -> api.post("/api/admin/run-bq-metadata-refresh", admin));
                // past the first pair of lookups: some rows written, others in flight
                await().atMost(Duration.ofSeconds(20)).until(() -> bigQuery.getAllServeEvents().size() >= 3);
                child.signal("KILL");
                assertThat(child.awaitExit(Duration.ofSeconds(10))).isEqualTo(137);
            }

            WireMocks.serveAnyTable(bigQuery, 8, 80, 0);
            try (TestService again = TestService.start(env)) {
                List<Map<String, Object>> rows = again.query(
                        "SELECT table_id, \"rows\", size_bytes FROM bq_metadata_cache ORDER BY table_id");
                assertThat(rows).hasSize(TABLES);
                // each row is either the seeded last good numbers or a complete newer refresh: never a half
                assertThat(rows).allSatisfy(r -> assertThat(List.of(r.get("rows"), r.get("size_bytes")))
                        .isIn(List.of(100L, 1000L), List.of(7L, 70L)));
                RunRecord next = again.runAll();
                assertThat(next.succeeded()).isEqualTo(TABLES);
                assertThat(again.query("SELECT table_id FROM bq_metadata_cache WHERE \"rows\" = 8")).hasSize(TABLES);
            }
        } finally {
            bigQuery.stop();
        }
    }
}
