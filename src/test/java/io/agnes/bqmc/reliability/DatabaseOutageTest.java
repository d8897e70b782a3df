package io.agnes.bqmc.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;

import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.db.PlatformTables;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.LogCapture;
import io.agnes.bqmc.support.Postgres;
import io.agnes.bqmc.support.TestService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL down under a running replica: each API call answers a JSON 503 with Retry-After
 * within 2 s, the log has one WARN when the outage starts and one INFO with its length when it
 * ends (no stack trace per request: five calls had written 330 lines), and the outage is a metric.
 */
class DatabaseOutageTest {

    @TempDir
    Path dir;

    @Test
    void anOutageIsA503WithinTwoSecondsOneWarnOneInfoAndAMetric() throws Exception {
        try (Postgres pg = Postgres.start()) {
            String database = pg.createDatabase();
            try (Connection c = pg.connect(database)) {
                PlatformTables.create(c, true);
            }
            Map<String, String> env = TestService.environment(dir, "http://127.0.0.1:9");
            env.put("DATABASE_URL", pg.platformUrl(database));
            String admin = TokenIssuer.issue(dir.resolve("tokens"), "ana@example.com", Role.ADMIN, null);
            try (TestService service = TestService.start(env); LogCapture log = LogCapture.open()) {
                ApiClient api = new ApiClient(Integer.parseInt(env.get("PORT")));
                ApiClient management = new ApiClient(Integer.parseInt(env.get("MANAGEMENT_PORT")));
                assertThat(api.get("/api/v2/metadata-cache/status", admin).status()).isEqualTo(200);

                pg.stopServer();
                for (int i = 0; i < 5; i++) {
                    long started = System.nanoTime();
                    ApiClient.Answer answer = api.get("/api/v2/metadata-cache/status", admin);
                    long ms = (System.nanoTime() - started) / 1_000_000;
                    assertThat(answer.status()).as(answer.body()).isEqualTo(503);
                    assertThat(ms).as("answered within 2 s").isLessThan(2000);
                    assertThat(answer.json().get("detail").asText()).startsWith("Database unavailable");
                    assertThat(answer.header("Retry-After")).isNotNull();
                }
                assertThat(management.get("/observe/metrics", null).body())
                        .contains("bqmc_database_outages_total 1.0");

                pg.restartServer();
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                        .until(() -> api.get("/api/v2/metadata-cache/status", admin).status() == 200);
                assertThat(log.linesContaining("database unreachable")).singleElement()
                        .satisfies(l -> assertThat(l).startsWith("WARN "));
                assertThat(log.linesContaining("database reachable again after an outage of")).singleElement()
                        .satisfies(l -> assertThat(l).startsWith("INFO "));
                assertThat(log.lines()).noneMatch(l -> l.startsWith("ERROR "));
            }
        }
    }
}
