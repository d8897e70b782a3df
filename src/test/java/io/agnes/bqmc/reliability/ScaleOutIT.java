package io.agnes.bqmc.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.db.PlatformTables;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.ApiClient.Answer;
import io.agnes.bqmc.support.ChildService;
import io.agnes.bqmc.support.Postgres;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three replica JVMs on one PostgreSQL and one BigQuery stand-in, as the platform deploys them:
 * one run at a time across all of them, the same status from each, and what a killed replica,
 * a frozen one and a restarted database do. Figures are printed for docs/SCALE-OUT.md.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScaleOutIT {

    static final int TABLES = 6;
    static final String RUN = "/api/admin/run-bq-metadata-refresh";
    static final String STATUS = "/api/v2/metadata-cache/status";
    /** Quick to start on two cores, small beside each other. */
    static final List<String> JVM = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx192m", "-Xss512k");

    @TempDir
    static Path dir;

    static Postgres pg;
    static String database;
    static WireMockServer bigQuery;
    static String admin;
    static final Map<String, Replica> replicas = new HashMap<>();
    static final ExecutorService callers = Executors.newFixedThreadPool(12);

    record Replica(String id, ChildService child, ApiClient api, ApiClient management) {
    }

    @BeforeAll
    static void startCluster() throws Exception {
        pg = Postgres.start(); // a server of its own: one test restarts it
        database = pg.createDatabase();
        try (Connection c = pg.connect(database); Statement s = c.createStatement()) {
            PlatformTables.create(c, true);
            s.execute("INSERT INTO table_registry (id, name, source_type, query_mode, bucket, source_table)"
                    + " SELECT 't' || i, 't' || i, 'bigquery', 'remote', 'ds', 't' || i FROM generate_series(0, "
                    + (TABLES - 1) + ") i");
        }
        bigQuery = WireMocks.startBigQuery();
        serve(1, 150);
        admin = TokenIssuer.issue(dir.resolve("tokens"), "ops@example.com", Role.ADMIN, null);
        List<CompletableFuture<Replica>> starting = new ArrayList<>();
        for (String id : List.of("r1", "r2", "r3")) {
            starting.add(CompletableFuture.supplyAsync(() -> startReplica(id), callers));
        }
        for (CompletableFuture<Replica> r : starting) {
            Replica replica = r.get();
            replicas.put(replica.id(), replica);
        }
    }

    @AfterAll
    static void stopCluster() throws Exception {
        callers.shutdownNow();
        for (Replica r : replicas.values()) {
            r.child().close();
        }
        if (bigQuery != null) {
            bigQuery.stop();
        }
        if (pg != null) {
            pg.close();
        }
    }

    static Replica startReplica(String id) {
        try {
            Map<String, String> env = TestService.environment(dir.resolve(id), bigQuery.baseUrl());
            env.put("DATABASE_URL", pg.platformUrl(database));
            env.put("REPLICA_ID", id);
            env.put("AGNES_TOKENS_FILE", dir.resolve("tokens").toString());
            env.put("AGNES_BQ_METADATA_REFRESH_CONCURRENCY", "2");
            env.put("BIGQUERY_MAX_ATTEMPTS", "1");
            ChildService child = ChildService.start(JVM, env, dir.resolve(id + ".log"));
            int port = Integer.parseInt(env.get("PORT"));
            child.awaitHttp(port, Duration.ofSeconds(90));
            return new Replica(id, child, new ApiClient(port), new ApiClient(Integer.parseInt(env.get("MANAGEMENT_PORT"))));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every table answers with {@code rows} (a marker of who wrote it) after {@code delayMs}. */
    static void serve(long rows, int delayMs) {
        WireMocks.serveAnyTable(bigQuery, rows, rows * 10, delayMs);
    }

    static int requests() {
        return bigQuery.getAllServeEvents().size();
    }

    static CompletableFuture<Answer> runOn(Replica r) {
        return CompletableFuture.supplyAsync(() -> r.api().post(RUN, admin), callers);
    }

    /** Asks until the replica takes a run (a refused ask is a 409 naming the run in flight); returns its answer. */
    static CompletableFuture<Answer> runOnWhenFree(Replica r) {
        return CompletableFuture.supplyAsync(() -> {
            while (true) {
                Answer a = r.api().post(RUN, admin);
                if (a.status() != 409) {
                    return a;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        }, callers);
    }

    static List<Map<String, Object>> sql(String query, Object... params) throws Exception {
        try (Connection c = pg.connect(database); PreparedStatement ps = c.prepareStatement(query)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                List<Map<String, Object>> rows = new ArrayList<>();
                while (rs.next()) {
                    Map<String, Object> row = new HashMap<>();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
                    }
                    rows.add(row);
                }
                return rows;
            }
        }
    }

    static String runStatus(String runId) throws Exception {
        return (String) sql("SELECT status FROM bqmc_run_history WHERE run_id = ?", runId).get(0).get("status");
    }

    /** The run a replica holds, as the run history's running row names it. */
    static Map<String, Object> runningRow() throws Exception {
        List<Map<String, Object>> rows = sql("SELECT run_id, replica FROM bqmc_run_history WHERE status = 'running'");
        return rows.isEmpty() ? null : rows.get(0);
    }

    static List<Long> cachedRows() throws Exception {
        return sql("SELECT rows FROM bq_metadata_cache ORDER BY table_id").stream()
                .map(r -> ((Number) r.get("rows")).longValue()).toList();
    }

    @Test
    @Order(1)
    void eightTriggersOverThreeReplicasMakeExactlyOneRunPerRound() throws Exception {
        List<String> winners = new ArrayList<>();
        for (int round = 1; round <= 20; round++) {
            int before = requests();
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Answer>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Replica target = replicas.get("r" + (i % 3 + 1));
                calls.add(callers.submit(() -> {
                    go.await();
                    return target.api().post(RUN, admin);
                }));
            }
            go.countDown();
            List<Answer> answers = new ArrayList<>();
            for (Future<Answer> call : calls) {
                answers.add(call.get());
            }
            List<Answer> ok = answers.stream().filter(a -> a.status() == 200).toList();
            List<Answer> refused = answers.stream().filter(a -> a.status() == 409).toList();
            assertThat(ok).as("round %d: %s", round, answers.stream().map(Answer::body).toList()).hasSize(1);
            assertThat(refused).as("round %d", round).hasSize(7);
            JsonNode run = ok.get(0).json();
            for (Answer conflict : refused) {
                JsonNode detail = conflict.json().get("detail");
                assertThat(detail.get("reason").asText()).isEqualTo("already_running");
                assertThat(detail.get("run_id").asText()).as("round %d", round).isEqualTo(run.get("run_id").asText());
                assertThat(detail.get("started_at").asText()).isEqualTo(run.get("started_at").asText());
            }
            assertThat(run.get("succeeded").asInt()).isEqualTo(TABLES);
            assertThat(requests() - before).as("round %d: each table once", round).isEqualTo(TABLES);
            winners.add((String) sql("SELECT replica FROM bqmc_run_history WHERE run_id = ?", run.get("run_id").asText())
                    .get(0).get("replica"));
        }
        System.out.printf("scale-out: 20 rounds of 8 triggers over 3 replicas: one run each; runs by replica %s%n",
                winners.stream().collect(java.util.stream.Collectors.groupingBy(w -> w, java.util.TreeMap::new,
                        java.util.stream.Collectors.counting())));
        assertThat(sql("SELECT run_id FROM bqmc_run_history WHERE status = 'finished'")).hasSize(20);
    }

    static String withoutServerTime(String status) {
        return status.replaceFirst("\"server_time\":\"[^\"]+\"", "");
    }

    static double metric(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " ([0-9.eE+-]+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    @Test
    @Order(2)
    void everyReplicaServesTheSameStatusAndTheHolderSaysSo() throws Exception {
        List<String> bodies = new ArrayList<>();
        for (Replica r : replicas.values()) {
            Answer status = r.api().get(STATUS, admin);
            assertThat(status.status()).isEqualTo(200);
            bodies.add(withoutServerTime(status.body()));
            assertThat(r.management().get("/observe/health/ready", null).status()).as(r.id()).isEqualTo(200);
        }
        assertThat(bodies.get(0)).contains("\"last_runs\":[{").contains("\"freshness\":\"fresh\"");
        assertThat(bodies).as("byte-identical, server_time aside").containsOnly(bodies.get(0));

        serve(2, 1000);
        int before = requests();
        CompletableFuture<Answer> run = runOn(replicas.get("r2"));
        await().atMost(Duration.ofSeconds(10)).until(() -> requests() > before);
        Map<String, Object> holder = runningRow();
        assertThat(holder).isNotNull().containsEntry("replica", "r2");
        for (Replica r : replicas.values()) {
            String metrics = r.management().get("/observe/metrics", null).body();
            assertThat(metric(metrics, "bqmc_run_lock_held{replica=\"" + r.id() + "\"}")).as(r.id())
                    .isEqualTo(r.id().equals("r2") ? 1.0 : 0.0);
        }
        assertThat(run.get().status()).isEqualTo(200);
    }

    @Test
    @Order(3)
    void aKilledHolderFreesTheLockAtOnceAndItsRunIsRecordedAbandoned() throws Exception {
        serve(3, 1500);
        int before = requests();
        runOn(replicas.get("r1"));
        await().atMost(Duration.ofSeconds(10)).until(() -> requests() > before);
        String deadRun = (String) runningRow().get("run_id");

        replicas.get("r1").child().signal("KILL");
        long killed = System.nanoTime();
        // ask another replica until it takes the run: the server frees the lock as soon as it sees the session gone
        CompletableFuture<Answer> takeOver = runOnWhenFree(replicas.get("r2"));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            Map<String, Object> row = runningRow();
            return row != null && "r2".equals(row.get("replica"));
        });
        long takeOverMs = (System.nanoTime() - killed) / 1_000_000;
        System.out.printf("scale-out: SIGKILL of the holder -> another replica runs after %d ms%n", takeOverMs);
        assertThat(takeOverMs).isLessThan(5_000);

        Answer answer = takeOver.get();
        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        assertThat(answer.json().get("succeeded").asInt()).isEqualTo(TABLES);
        assertThat(runStatus(deadRun)).isEqualTo("abandoned");
        assertThat(cachedRows()).containsOnly(3L);

        replicas.put("r1", startReplica("r1"));
    }

    @Test
    @Order(4)
    void aFrozenHolderLosesTheLockAndAfterItWakesCallsAndWritesNothingMore() throws Exception {
        serve(4, 1500);
        int before = requests();
        Replica frozen = replicas.get("r3");
        CompletableFuture<Answer> frozenRun = runOn(frozen);
        await().atMost(Duration.ofSeconds(10)).until(() -> requests() > before);
        String frozenRunId = (String) runningRow().get("run_id");
        frozen.child().signal("STOP");
        long stopped = System.nanoTime();
        // whatever the frozen replica still gets back from here on carries 4; the take-over's answers carry 5
        serve(5, 300);

        Replica other = replicas.get("r2");
        Answer takeOver = null;
        while (takeOver == null) {
            Answer a = other.api().post(RUN, admin);
            if (a.status() == 200) {
                takeOver = a;
            } else {
                assertThat(a.status()).as(a.body()).isEqualTo(409);
                assertThat(a.json().get("detail").get("run_id").asText()).isEqualTo(frozenRunId);
                assertThat(System.nanoTime() - stopped).as("the frozen replica loses the lock within ~15 s")
                        .isLessThan(Duration.ofSeconds(25).toNanos());
                Thread.sleep(500);
            }
        }
        long lostAfterMs = (System.nanoTime() - stopped) / 1_000_000;
        assertThat(takeOver.json().get("succeeded").asInt()).isEqualTo(TABLES);
        assertThat(runStatus(frozenRunId)).isEqualTo("abandoned");
        assertThat(cachedRows()).containsOnly(5L);

        int afterTakeOver = requests();
        frozen.child().signal("CONT");
        long woke = System.nanoTime();
        Answer late = frozenRun.get();
        long answeredMs = (System.nanoTime() - woke) / 1_000_000;
        // it answers its caller, makes no BigQuery request, and writes nothing for its run
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).until(() -> requests() == afterTakeOver);
        assertThat(cachedRows()).containsOnly(5L);
        assertThat(runStatus(frozenRunId)).isEqualTo("abandoned");
        assertThat(frozen.child().process().isAlive()).isTrue();
        System.out.printf("scale-out: SIGSTOP of the holder -> lock taken over after %d ms; after SIGCONT it answered"
                + " its caller (%d) in %d ms with no further request or write%n", lostAfterMs, late.status(),
                answeredMs);
        assertThat(frozen.child().output()).contains("lost its run lock");
    }

    @Test
    @Order(5)
    void aDatabaseRestartMidRunEndsTheRunCleanlyAndTheNextRunWorks() throws Exception {
        serve(6, 1000);
        int before = requests();
        CompletableFuture<Answer> run = runOn(replicas.get("r1"));
        await().atMost(Duration.ofSeconds(10)).until(() -> requests() > before);

        pg.stopServer();
        long down = System.nanoTime();
        for (Replica r : replicas.values()) {
            await().atMost(Duration.ofSeconds(15))
                    .until(() -> r.management().get("/observe/health/ready", null).status() == 503);
        }
        Answer ended = run.get();
        long endedMs = (System.nanoTime() - down) / 1_000_000;
        pg.restartServer();
        long up = System.nanoTime();
        for (Replica r : replicas.values()) {
            assertThat(r.child().process().isAlive()).as(r.id() + " still running").isTrue();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> r.management().get("/observe/health/ready", null).status() == 200);
        }
        long healthyMs = (System.nanoTime() - up) / 1_000_000;

        Answer next = replicas.get("r3").api().post(RUN, admin);
        assertThat(next.status()).as(next.body()).isEqualTo(200);
        assertThat(next.json().get("succeeded").asInt()).isEqualTo(TABLES);
        assertThat(cachedRows()).containsOnly(6L);
        System.out.printf("scale-out: database stopped mid-run -> the run answered %d after %d ms; every replica"
                + " ready %d ms after the restart; the next run refreshed %d of %d%n", ended.status(), endedMs,
                healthyMs, next.json().get("succeeded").asInt(), TABLES);
    }
}
