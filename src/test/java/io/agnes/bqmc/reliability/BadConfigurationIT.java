package io.agnes.bqmc.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.ServiceMain;
import io.agnes.bqmc.config.Settings;
import io.agnes.bqmc.support.ChildService;
import io.agnes.bqmc.support.LogCapture;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad configuration: invalid values start the service on the defaults with one WARN each; a
 * database that cannot be opened, or a port another process holds, stops the start with one line
 * naming the file or the variable and port, and the reason.
 * (PORT, MANAGEMENT_PORT, AGNES_DB_URL and BIGQUERY_API_URL fall back to defaults that would
 * leave this test's own ports and files; SettingsLoaderTest covers them.)
 */
class BadConfigurationIT {

    @TempDir
    Path dir;

    @Test
    void invalidValuesStartOnTheDefaultsWithOneWarnEach() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        Map<String, String> invalid = Map.of(
                "SCHEDULER_BQ_METADATA_REFRESH_INTERVAL", "every hour",
                "SCHEDULER_STARTUP_GRACE_SECONDS", "-5",
                "AGNES_BQ_METADATA_REFRESH_CONCURRENCY", "0",
                "BIGQUERY_PROJECT", "Not_A_Project!",
                "BIGQUERY_TIMEOUT_SECONDS", "30s",
                "BIGQUERY_MAX_ATTEMPTS", "-1",
                "BIGQUERY_RETRY_INITIAL_DELAY_MS", "1e3");
        env.putAll(invalid);
        env.put("SCHEDULER_API_TOKEN", "short");
        env.put("AGNES_REGISTRY_FILE", dir.resolve("missing.yaml").toString());
        try (LogCapture logs = LogCapture.open(); TestService service = TestService.start(env)) {
            for (String variable : invalid.keySet()) {
                List<String> warns = logs.linesContaining(variable + "=");
                assertThat(warns).as(variable).hasSize(1);
                assertThat(warns.get(0)).startsWith("WARN").contains("using the default");
            }
            assertThat(logs.linesContaining("SCHEDULER_API_TOKEN is shorter than 32")).hasSize(1);
            assertThat(logs.linesContaining("AGNES_REGISTRY_FILE=")).hasSize(1);
            Settings s = service.context().getRegistry().lookupByNameAndType("settings", Settings.class);
            assertThat(s.refreshIntervalSeconds()).isEqualTo(14400);
            assertThat(s.startupGraceSeconds()).isEqualTo(60);
            assertThat(s.refreshConcurrency()).isEqualTo(4);
            assertThat(s.bigQueryProject()).isNull();
            assertThat(s.bigQueryTimeoutSeconds()).isEqualTo(30);
            assertThat(s.bigQueryMaxAttempts()).isEqualTo(4);
            assertThat(s.retryInitialDelayMs()).isEqualTo(1000);
            assertThat(s.schedulerApiToken()).isNull();
            assertThat(service.runAll().total()).isZero();
        } finally {
            bigQuery.stop();
        }
    }

    @Test
    void aLockedDatabaseStopsTheStartWithOneLine() throws Exception {
        Path db = dir.resolve("system.duckdb");
        try (Connection lock = TestService.openDuckDb(db)) {
            lock.createStatement().execute("CREATE TABLE held (i INTEGER)");
            ChildService child = ChildService.start(TestService.environment(dir, "http://127.0.0.1:9"),
                    dir.resolve("locked.log"));
            assertThat(child.awaitExit(Duration.ofSeconds(60))).isEqualTo(1);
            List<String> lines = child.output().lines().filter(l -> l.startsWith("bq-metadata-cache: cannot start: "))
                    .toList();
            assertThat(lines).hasSize(1);
            assertThat(lines.get(0)).contains(db.toString()).contains("lock");
        }
    }

    @Test
    void anUnreachableDatabaseStopsTheStartWithOneLine() throws Exception {
        Map<String, String> env = TestService.environment(dir, "http://127.0.0.1:9");
        env.put("AGNES_DB_URL", "jdbc:duckdb:/proc/no-such-dir/system.duckdb");
        ChildService child = ChildService.start(env, dir.resolve("unreachable.log"));
        assertThat(child.awaitExit(Duration.ofSeconds(60))).isEqualTo(1);
        List<String> lines = child.output().lines().filter(l -> l.startsWith("bq-metadata-cache: cannot start: ")).toList();
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).isEqualTo("bq-metadata-cache: cannot start: cannot open database"
                + " jdbc:duckdb:/proc/no-such-dir/system.duckdb: IO Error: Cannot open file \"/proc/no-such-dir/system.duckdb\":"
                + " No such file or directory");
    }

    /** The longest interval and grace accepted start a service whose status answers. */
    @Test
    void theLongestIntervalAndGraceStartAndAnswer() throws Exception {
        Map<String, String> env = TestService.environment(dir, "http://127.0.0.1:9");
        env.put("SCHEDULER_BQ_METADATA_REFRESH_INTERVAL", Long.toString(Settings.MAX_SECONDS));
        env.put("SCHEDULER_STARTUP_GRACE_SECONDS", Long.toString(Settings.MAX_SECONDS));
        String analyst = io.agnes.bqmc.auth.TokenIssuer.issue(dir.resolve("tokens"), "bo@example.com",
                io.agnes.bqmc.auth.Role.ANALYST, null);
        try (TestService service = TestService.start(env)) {
            service.registerRemote("orders", "ds", "orders");
            io.agnes.bqmc.support.ApiClient.Answer status = new io.agnes.bqmc.support.ApiClient(
                    Integer.parseInt(env.get("PORT"))).get("/api/v2/metadata-cache/status", analyst);
            assertThat(status.status()).as(status.body()).isEqualTo(200);
            assertThat(status.json().get("fresh_threshold_seconds").asLong()).isEqualTo(2 * Settings.MAX_SECONDS);
        }
    }

    /** A port held by another process stops the start with one line naming the variable and the port. */
    @Test
    void aTakenPortStopsTheStartWithOneLineNamingIt() throws Exception {
        for (String variable : List.of("PORT", "MANAGEMENT_PORT")) {
            Map<String, String> env = TestService.environment(dir, "http://127.0.0.1:9");
            int port = Integer.parseInt(env.get(variable));
            try (ServerSocket other = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
                ChildService child = ChildService.start(env, dir.resolve(variable + ".log"));
                assertThat(child.awaitExit(Duration.ofSeconds(60))).as(child.output()).isEqualTo(1);
                List<String> lines = child.output().lines().filter(l -> l.startsWith("bq-metadata-cache: cannot start: "))
                        .toList();
                assertThat(lines).hasSize(1);
                assertThat(lines.get(0)).startsWith("bq-metadata-cache: cannot start: " + variable + " " + port
                        + " is already in use").endsWith("set " + variable + " to a free port");
                assertThat(child.output()).doesNotContain("Exception");
            }
        }
        Map<String, String> same = TestService.environment(dir, "http://127.0.0.1:9");
        same.put("MANAGEMENT_PORT", same.get("PORT"));
        assertThatThrownBy(() -> ServiceMain.create(same)).hasMessage("PORT and MANAGEMENT_PORT are both "
                + same.get("PORT") + ": the API and health/metrics need a port each");
    }
}
