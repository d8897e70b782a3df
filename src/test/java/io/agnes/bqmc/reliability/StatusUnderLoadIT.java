package io.agnes.bqmc.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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
 * Issue 23's first finding, as reproduced: 100,000 tables on DuckDB, the jar with the shipped JVM
 * options (128 MB of heap, SerialGC), a run in flight (pace off, concurrency 8), and eight clients
 * looping on the status (four plain, four filtered) for {@code bqmc.load.seconds} (60). Every
 * answer is a whole status or a 503 with Retry-After, never a 500 or an OutOfMemoryError; the run
 * keeps moving; liveness answers within 2 s throughout; SIGTERM still stops the process.
 * <p>
 * Run by {@code -Pscale-out} beside the three-replica test (.ci/run), not by {@code mvn verify}.
 */
class StatusUnderLoadIT {

    static final int TABLES = 100_000;
    static final int READERS = 8;

    @TempDir
    Path dir;

    @Test
    void eightReadersDuringARunOfAHundredThousandTablesNeitherWedgeNorExhaustTheHeap() throws Exception {
        long seconds = Long.getLong("bqmc.load.seconds", 60);
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 7, 700, 15);
        Path db = dir.resolve("system.duckdb");
        TestService.seedRemoteTables(db, TABLES);
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ops@example.com", Role.ADMIN, null);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("AGNES_BQ_METADATA_REFRESH_CONCURRENCY", "8");
        env.put("BIGQUERY_MAX_REQUESTS_PER_SECOND", "0");
        // the JVM options the systemd env file ships (the same everywhere: DeploymentFilesTest)
        List<String> jvm = Arrays.asList(io.agnes.bqmc.deploy.DeploymentFilesTest.envFile(false).get("JAVA_OPTS")
                .split("\\s+"));
        int port = Integer.parseInt(env.get("PORT"));
        int management = Integer.parseInt(env.get("MANAGEMENT_PORT"));
        ExecutorService clients = Executors.newFixedThreadPool(READERS + 2);
        try (ChildService child = ChildService.start(jvm, env, dir.resolve("service.log"))) {
          try {
            child.awaitHttp(port, Duration.ofSeconds(90));
            ApiClient api = new ApiClient(port);
            ApiClient probes = new ApiClient(management);
            Future<ApiClient.Answer> run = clients.submit(() -> api.post("/api/admin/run-bq-metadata-refresh", admin));
            await().atMost(Duration.ofSeconds(60)).until(() -> refreshed(probes) > 0);

            long until = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
            Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
            AtomicLong wholeAnswers = new AtomicLong();
            List<Future<?>> readers = new ArrayList<>();
            for (int i = 0; i < READERS; i++) {
                String query = i % 2 == 0 ? "" : "?freshness=fresh,never_fetched";
                readers.add(clients.submit(() -> {
                    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                    while (System.nanoTime() < until) {
                        HttpResponse<InputStream> answer = http.send(HttpRequest.newBuilder(
                                        URI.create("http://127.0.0.1:" + port + "/api/v2/metadata-cache/status" + query))
                                .header("Authorization", "Bearer " + admin).timeout(Duration.ofSeconds(120)).build(),
                                HttpResponse.BodyHandlers.ofInputStream());
                        statuses.computeIfAbsent(answer.statusCode(), s -> new AtomicLong()).incrementAndGet();
                        try (InputStream body = answer.body()) {
                            if (answer.statusCode() == 200) {
                                assertThat(tablesIn(body)).isPositive();
                                wholeAnswers.incrementAndGet();
                            } else {
                                assertThat(answer.statusCode()).isEqualTo(503);
                                assertThat(answer.headers().firstValue("Retry-After")).isPresent();
                                body.readAllBytes();
                                Thread.sleep(200);
                            }
                        }
                    }
                    return null;
                }));
            }
            // the run keeps moving and liveness answers promptly, all the while
            long last = refreshed(probes);
            while (System.nanoTime() < until && !run.isDone()) {
                long started = System.nanoTime();
                assertThat(probes.get("/observe/health/live", null).status()).isEqualTo(200);
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
                Thread.sleep(5_000);
                long now = refreshed(probes);
                assertThat(now).as("tables refreshed in the last 5 s").isGreaterThan(last);
                last = now;
            }
            for (Future<?> reader : readers) {
                reader.get();
            }
            assertThat(statuses.keySet()).as("answers by status: %s", statuses).isSubsetOf(200, 503);
            assertThat(wholeAnswers.get()).isGreaterThanOrEqualTo(READERS);

            child.signal("TERM");
            assertThat(child.awaitExit(Duration.ofSeconds(40))).isZero();
            assertThat(child.output()).doesNotContain("OutOfMemoryError");
          } catch (AssertionError | Exception e) {
            List<String> lines = child.output().lines().toList();
            throw new AssertionError("the service's last lines:\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())), e);
          }
        } finally {
            clients.shutdownNow();
            bigQuery.stop();
        }
    }

    /** The tables of a status answer, counted as the bytes go by (the test holds none of them). */
    private static long tablesIn(InputStream body) throws Exception {
        long tables = 0;
        try (JsonParser json = new JsonFactory().createParser(body)) {
            int depth = 0;
            boolean inTables = false;
            for (JsonToken t = json.nextToken(); t != null; t = json.nextToken()) {
                if (t == JsonToken.FIELD_NAME && depth == 1 && json.currentName().equals("tables")) {
                    inTables = true;
                } else if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                    depth++;
                    if (inTables && depth == 3 && t == JsonToken.START_OBJECT) {
                        tables++;
                    }
                } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                    depth--;
                    if (depth == 1) {
                        inTables = false;
                    }
                }
            }
            assertThat(depth).as("a whole JSON document").isZero();
        }
        return tables;
    }

    /** Tables this run has refreshed so far, from the service's own counter. */
    private static long refreshed(ApiClient probes) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^bqmc_tables_total\\{outcome=\"ok\"} ([0-9.eE+]+)$")
                .matcher(probes.get("/observe/metrics", null).body());
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }
}
