package io.agnes.bqmc.reliability;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;

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
import io.agnes.bqmc.refresh.RunSummary;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.BigQueryJson;
import io.agnes.bqmc.support.ChildService;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGKILL in the middle of a slow run: the database opens again, the last good numbers are there. */
class CrashRecoveryTest {

    static final int TABLES = 6;

    @TempDir
    Path dir;

    @Test
    void killedMidRunThenRestartedOnTheSameDatabase() throws Exception {
        Path db = dir.resolve("system.duckdb");
        try (Connection c = TestService.openDuckDb(db); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE table_registry (id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, source_type VARCHAR,"
                    + " bucket VARCHAR, source_table VARCHAR, query_mode VARCHAR DEFAULT 'local', bq_fqn VARCHAR,"
                    + " registered_by VARCHAR, registered_at TIMESTAMP DEFAULT current_timestamp)");
            s.execute("CREATE TABLE bq_metadata_cache (table_id VARCHAR PRIMARY KEY, \"rows\" BIGINT, size_bytes BIGINT,"
                    + " partition_by VARCHAR, clustered_by JSON, entity_type VARCHAR, known_columns JSON,"
                    + " refreshed_at TIMESTAMP, error_at TIMESTAMP, error_msg VARCHAR)");
            for (int i = 0; i < TABLES; i++) {
                s.execute("INSERT INTO table_registry (id, name, source_type, bucket, source_table, query_mode)"
                        + " VALUES ('t" + i + "', 't" + i + "', 'bigquery', 'ds', 't" + i + "', 'remote')");
                s.execute("INSERT INTO bq_metadata_cache VALUES ('t" + i + "', 100, 1000, NULL, '[]', 'BASE TABLE',"
                        + " '[\"a\"]', TIMESTAMP '2026-11-01 00:00:00', NULL, NULL)");
            }
        }
        WireMockServer bigQuery = WireMocks.startBigQuery();
        bigQuery.stubFor(get(urlPathMatching("/bigquery/v2/projects/test-project/datasets/ds/tables/.*"))
                .willReturn(WireMocks.json(200, BigQueryJson.baseTable("test-project", "ds", "t", 7, 70, "a"))
                        .withFixedDelay(1500)));
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
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (bigQuery.getAllServeEvents().size() < 3 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                child.signal("KILL");
                assertThat(child.awaitExit(Duration.ofSeconds(10))).isEqualTo(137);
            }

            bigQuery.stubFor(get(urlPathMatching("/bigquery/v2/projects/test-project/datasets/ds/tables/.*"))
                    .willReturn(WireMocks.json(200, BigQueryJson.baseTable("test-project", "ds", "t", 8, 80, "a"))));
            try (TestService again = TestService.start(env)) {
                List<Map<String, Object>> rows = again.query(
                        "SELECT table_id, \"rows\", size_bytes FROM bq_metadata_cache ORDER BY table_id");
                assertThat(rows).hasSize(TABLES);
                // each row is either the seeded last good numbers or a complete newer refresh: never a half
                assertThat(rows).allSatisfy(r -> assertThat(List.of(r.get("rows"), r.get("size_bytes")))
                        .isIn(List.of(100L, 1000L), List.of(7L, 70L)));
                RunSummary next = again.runAll();
                assertThat(next.succeeded()).isEqualTo(TABLES);
                assertThat(again.query("SELECT table_id FROM bq_metadata_cache WHERE \"rows\" = 8")).hasSize(TABLES);
            }
        } finally {
            bigQuery.stop();
        }
    }
}
