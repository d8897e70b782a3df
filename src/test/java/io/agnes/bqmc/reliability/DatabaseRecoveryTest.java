package io.agnes.bqmc.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.history.RunHistory;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No database failure needs a restart: on a filesystem that fills up (a real tmpfs of 16 MB),
 * writes fail, the database check is DOWN and the run is no success; once space returns the
 * service writes again by itself. A database file replaced under the running service is
 * reopened, and writes land in the new file rather than the old one.
 */
class DatabaseRecoveryTest {

    @TempDir
    Path dir;

    static final int TABLES = 100;

    Path mount;
    WireMockServer bigQuery;

    @BeforeEach
    void mountSmallFilesystem() throws Exception {
        mount = dir.resolve("small");
        Files.createDirectories(mount);
        // as root (CI is): a filesystem of its own that the test can fill without touching anyone else's
        run("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mount.toString());
        bigQuery = WireMocks.startBigQuery();
        WireMocks.serveTable(bigQuery, "test-project", "ds", "orders", 7, 700);
    }

    @AfterEach
    void unmount() throws Exception {
        bigQuery.stop();
        run("umount", "-l", mount.toString());
    }

    @Test
    void aFullDiskIsReportedAndOutlivedWithoutARestart() throws Exception {
        Map<String, String> env = environment();
        String admin = TokenIssuer.issue(Path.of(env.get("AGNES_TOKENS_FILE")), "ana@example.com", Role.ADMIN, null);
        WireMocks.serveAnyTable(bigQuery, 7, 700, 40);
        try (TestService service = TestService.start(env)) {
            service.update("INSERT INTO table_registry (id, name, source_type, bucket, source_table, query_mode)"
                    + " SELECT 't' || i, 't' || i, 'bigquery', 'ds', 't' || i, 'remote' FROM range(" + TABLES + ") r(i)");
            ApiClient api = new ApiClient(Integer.parseInt(env.get("PORT")));
            ApiClient management = new ApiClient(Integer.parseInt(env.get("MANAGEMENT_PORT")));

            // the disk fills in the middle of a run
            Path filler = mount.resolve("filler");
            CompletableFuture<RunRecord> run = CompletableFuture.supplyAsync(service::runAll);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
                    .until(() -> ((Number) service.query("SELECT count(*) AS n FROM bq_metadata_cache").get(0).get("n"))
                            .intValue() >= 10);
            fill(filler);
            RunRecord duringFull = run.get(60, TimeUnit.SECONDS);
            assertThat(duringFull.writeFailed()).isPositive();
            assertThat(duringFull.successful()).as("a run whose writes failed").isFalse();
            ApiClient.Answer ready = management.get("/observe/health/ready?data=true", null);
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.body()).contains("database cannot be written");
            // a run cannot even record its start: it fails, and says so. (DuckDB may have given
            // space back since, truncating its write-ahead log: the disk is filled up again first.)
            fill(filler);
            assertThatThrownBy(service::runAll).hasRootCauseInstanceOf(java.sql.SQLException.class);

            Files.delete(filler);
            // no request but the probes: the service heals by itself
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .until(() -> management.get("/observe/health/ready", null).status() == 200);
            assertThat(api.post("/api/v2/metadata-cache/refresh?table=t3", admin).status()).isEqualTo(200);
            RunRecord after = service.runAll();
            assertThat(after.succeeded()).isEqualTo(TABLES);
            assertThat(after.successful()).isTrue();
            List<RunRecord> history = service.context().getRegistry().lookupByNameAndType("runHistory", RunHistory.class)
                    .newest(10);
            assertThat(history.get(0).runId()).isEqualTo(after.runId());
        }
    }

    @Test
    void aReplacedDatabaseFileIsReopenedAndWrittenNotTheOldOne() throws Exception {
        Map<String, String> env = environment();
        Path db = mount.resolve("system.duckdb");
        Path copy = mount.resolve("copy.duckdb");
        try (TestService service = TestService.start(env)) {
            service.registerRemote("orders", "ds", "orders");
            try (Connection c = service.dataSource().getConnection()) {
                c.createStatement().execute("CHECKPOINT");
            }
            // an operator restores a backup: a new file moved over the one in use
            Files.copy(db, copy);
            Files.move(copy, db, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions().until(() -> service.runAll().succeeded() == 1);
        }
        try (Connection c = TestService.openDuckDb(db); ResultSet rs = c.createStatement()
                .executeQuery("SELECT \"rows\" FROM bq_metadata_cache WHERE table_id = 'orders'")) {
            assertThat(rs.next()).as("the refreshed row is in the file that is there now").isTrue();
            assertThat(rs.getLong(1)).isEqualTo(7);
        }
    }

    /**
     * Deleted under the running service (a cleanup script, an operator): once readiness is back,
     * status answers 200 again, with the tables the registry file registers imported again. It
     * answered 500 {@code table_registry does not exist} until a restart.
     */
    @Test
    void aDeletedDatabaseFileComesBackWithEverythingTheServiceCreated() throws Exception {
        Map<String, String> env = environment();
        Path registry = dir.resolve("registry.yaml");
        Files.writeString(registry, "- id: orders\n  source_type: bigquery\n  query_mode: remote\n  bucket: ds\n"
                + "  source_table: orders\n");
        // a file in place for a minute: imported at start, before the API serves
        Files.setLastModifiedTime(registry, java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minusSeconds(60)));
        env.put("AGNES_REGISTRY_FILE", registry.toString());
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ana@example.com", Role.ADMIN, null);
        try (TestService service = TestService.start(env)) {
            ApiClient api = new ApiClient(Integer.parseInt(env.get("PORT")));
            ApiClient management = new ApiClient(Integer.parseInt(env.get("MANAGEMENT_PORT")));
            ApiClient.Answer before = api.get("/api/v2/metadata-cache/status", admin);
            assertThat(before.status()).isEqualTo(200);
            assertThat(before.json().get("tables")).hasSize(1);

            Path db = mount.resolve("system.duckdb");
            Files.delete(db);
            Files.deleteIfExists(mount.resolve("system.duckdb.wal"));
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> management.get("/observe/health/ready", null).status() == 200
                            && api.get("/api/v2/metadata-cache/status", admin).status() == 200
                            && api.get("/api/v2/metadata-cache/status", admin).json().get("tables").size() == 1);
            assertThat(Files.exists(db)).isTrue();
            // readiness 200 implies status 200, from here on
            assertThat(management.get("/observe/health/ready", null).status()).isEqualTo(200);
            assertThat(api.get("/api/v2/metadata-cache/status", admin).status()).isEqualTo(200);
        }
    }

    Map<String, String> environment() {
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("AGNES_DB_URL", "jdbc:duckdb:" + mount.resolve("system.duckdb"));
        env.put("AGNES_TOKENS_FILE", dir.resolve("tokens").toString());
        env.put("BIGQUERY_MAX_ATTEMPTS", "1");
        return env;
    }

    /** Writes until the filesystem says it is full. */
    static void fill(Path filler) throws IOException {
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            assertThat(full.getMessage()).contains("No space left on device");
        }
    }

    static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", command) + ": " + out).isZero();
    }
}
