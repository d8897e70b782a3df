package io.agnes.bqmc.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.ChildService;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Contract section 9: SIGTERM during a run stops taking requests, lets the lookups in flight
 * finish, records the rest as failures, closes the database, and exits 0.
 */
class GracefulShutdownIT {

    static final int TABLES = 8;

    @TempDir
    Path dir;

    @Test
    void sigtermDuringARunExitsZeroWithEveryTableAccountedFor() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 7, 70, 2000);
        Path db = dir.resolve("system.duckdb");
        TestService.seedRemoteTables(db, TABLES);
        Map<String, String> env = new HashMap<>(TestService.environment(dir, bigQuery.baseUrl()));
        env.put("AGNES_BQ_METADATA_REFRESH_CONCURRENCY", "2");
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ops@example.com", Role.ADMIN, null);
        int port = Integer.parseInt(env.get("PORT"));

        try (ChildService child = ChildService.start(env, dir.resolve("service.log"))) {
            child.awaitHttp(port, Duration.ofSeconds(60));
            ApiClient api = new ApiClient(port);
            CompletableFuture<ApiClient.Answer> run = CompletableFuture.supplyAsync(
                    () -> api.post("/api/admin/run-bq-metadata-refresh", admin));
            await().atMost(Duration.ofSeconds(20)).until(() -> bigQuery.getAllServeEvents().size() >= 2);

            long signalled = System.nanoTime();
            child.signal("TERM");
            // the stop's budget (15 s for the routes, then the bookkeeping) is awaitExit's bound: null past it
            Integer exit = child.awaitExit(Duration.ofSeconds(20));
            assertThat(exit).as(child.output()).isEqualTo(0);
            System.out.printf("sigterm: exit %d after %d ms%n", exit,
                    Duration.ofNanos(System.nanoTime() - signalled).toMillis());
            // the caller of the run gets its answer: the run's counters, the interrupted tables as failed
            ApiClient.Answer answer = run.get();
            assertThat(answer.status()).as(answer.body()).isEqualTo(200);
            assertThat(answer.json().get("total").asInt()).isEqualTo(TABLES);
        } finally {
            bigQuery.stop();
        }

        // the database opens cleanly and every table of the run is either refreshed or marked interrupted
        int requests = bigQuery.getAllServeEvents().size();
        try (Connection c = TestService.openDuckDb(db); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FILTER (WHERE \"rows\" = 7 AND error_msg IS NULL),"
                     + " count(*) FILTER (WHERE error_msg = 'refresh interrupted: the service stopped before this"
                     + " table was refreshed'), count(*)"
                     + " FROM bq_metadata_cache")) {
            rs.next();
            int refreshed = rs.getInt(1);
            int interrupted = rs.getInt(2);
            assertThat(rs.getInt(3)).isEqualTo(TABLES);
            assertThat(refreshed + interrupted).isEqualTo(TABLES);
            assertThat(refreshed).as("lookups in flight at the signal finish").isGreaterThanOrEqualTo(2);
            assertThat(interrupted).as("the rest is not looked up").isGreaterThan(0);
            assertThat(requests).isLessThan(TABLES);
        }
    }

    /**
     * Lookups that would outlast the stop's own limit (15 s) are cut 3 s before it: the run still
     * ends, its caller gets the run's counters as JSON (a forced stop answered an empty 500), and
     * the process exits 0.
     */
    @Test
    void lookupsLongerThanTheStopAllowsAreCutAndTheCallerIsAnswered() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 7, 70, 60_000);
        Path db = dir.resolve("system.duckdb");
        TestService.seedRemoteTables(db, 4);
        Map<String, String> env = new HashMap<>(TestService.environment(dir, bigQuery.baseUrl()));
        env.put("BIGQUERY_TIMEOUT_SECONDS", "120");
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ops@example.com", Role.ADMIN, null);
        int port = Integer.parseInt(env.get("PORT"));
        try (ChildService child = ChildService.start(env, dir.resolve("slow.log"))) {
            child.awaitHttp(port, Duration.ofSeconds(60));
            ApiClient api = new ApiClient(port);
            CompletableFuture<ApiClient.Answer> run = CompletableFuture.supplyAsync(
                    () -> api.post("/api/admin/run-bq-metadata-refresh", admin));
            await().atMost(Duration.ofSeconds(20)).until(() -> bigQuery.getAllServeEvents().size() >= 4);
            long signalled = System.nanoTime();
            child.signal("TERM");
            ApiClient.Answer answer = run.get();
            assertThat(answer.status()).as(answer.body()).isEqualTo(200);
            assertThat(answer.header("Content-Type")).startsWith("application/json");
            assertThat(answer.json().get("failed").asInt()).isEqualTo(4);
            assertThat(child.awaitExit(Duration.ofSeconds(30))).as(child.output()).isZero();
            assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isLessThan(Duration.ofSeconds(20));
        } finally {
            bigQuery.stop();
        }
    }

    /**
     * A second SIGTERM during the drain stops at once: the drain's pending end is dropped, not
     * waited for (Camel's stop had waited 10 s on it).
     */
    @Test
    void aSecondSigtermDuringTheDrainStopsAtOnce() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        Map<String, String> env = new HashMap<>(TestService.environment(dir, bigQuery.baseUrl()));
        env.put("SHUTDOWN_DRAIN_SECONDS", "60");
        int port = Integer.parseInt(env.get("PORT"));
        try (ChildService child = ChildService.start(env, dir.resolve("twice.log"))) {
            child.awaitHttp(port, Duration.ofSeconds(60));
            child.signal("TERM");
            ApiClient management = new ApiClient(Integer.parseInt(env.get("MANAGEMENT_PORT")));
            await().atMost(Duration.ofSeconds(10)).until(() -> management.get("/observe/health/ready", null).status() == 503);
            long signalled = System.nanoTime();
            child.signal("TERM");
            assertThat(child.awaitExit(Duration.ofSeconds(30))).as(child.output()).isZero();
            assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isLessThan(Duration.ofSeconds(5));
        } finally {
            bigQuery.stop();
        }
    }
}
