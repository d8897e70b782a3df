package io.agnes.bqmc.reliability;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.refresh.PendingTables;
import io.agnes.bqmc.support.Engine;
import io.agnes.bqmc.support.LogCapture;
import io.agnes.bqmc.support.Postgres;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stop during a large run with BigQuery hung, on PostgreSQL: every one of 50,000 tables ends
 * with an outcome. The unfinished ones had gone out as one statement of 150,000 parameters
 * (PostgreSQL takes 65,535) and 47,488 tables kept no trace; the forced stop's interrupt had cut
 * the writer's own stop short with no line saying so.
 */
class StopBookkeepingTest {

    static final int TABLES = 50_000;

    @TempDir
    Path dir;

    @Test
    void everyTableOfARunCutShortByAStopIsRecordedInBatchesAnyEngineTakes() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        // BigQuery hung: no answer before the stop gives up on the lookups
        bigQuery.stubFor(get(urlPathMatching("/bigquery/v2/projects/test-project/datasets/ds/tables/.*"))
                .willReturn(WireMocks.json(200, "{}").withFixedDelay(60_000)));
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl(), Engine.POSTGRESQL);
        env.put("BIGQUERY_TIMEOUT_SECONDS", "120");
        env.put("BIGQUERY_MAX_ATTEMPTS", "1");
        TestService service = TestService.start(env);
        try (LogCapture log = LogCapture.open()) {
            service.update("INSERT INTO table_registry (id, name, source_type, query_mode, bucket, source_table)"
                    + " SELECT 't' || i, 't' || i, 'bigquery', 'remote', 'ds', 't' || i FROM generate_series(0, "
                    + (TABLES - 1) + ") i");
            CompletableFuture<Object> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return service.runAll();
                } catch (RuntimeException e) {
                    return e;
                }
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> bigQuery.getAllServeEvents().size() >= 4);
            long started = System.nanoTime();
            service.close();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("within the stop's budget")
                    .isLessThan(Duration.ofSeconds(30));
            run.get();

            String url = env.get("DATABASE_URL");
            Postgres pg = Postgres.shared();
            try (Connection c = pg.connect(url.substring(url.lastIndexOf('/') + 1)); Statement s = c.createStatement()) {
                var rs = s.executeQuery("SELECT count(*), count(*) FILTER (WHERE error_msg = '"
                        + PendingTables.INTERRUPTED + "'), count(*) FILTER (WHERE error_msg IS NULL) FROM bq_metadata_cache");
                rs.next();
                assertThat(rs.getLong(1)).as("tables with an outcome").isEqualTo(TABLES);
                // the few whose request was on the wire end as that attempt ended (cut off); the rest interrupted
                assertThat(rs.getLong(2)).as("recorded as interrupted").isGreaterThanOrEqualTo(TABLES - 8);
                assertThat(rs.getLong(3)).as("without an error").isZero();
            }
            assertThat(log.linesContaining("recorded as interrupted")).isNotEmpty();
            assertThat(log.linesContaining("could not be recorded")).isEmpty();
        } finally {
            bigQuery.stop();
        }
    }
}
