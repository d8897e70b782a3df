package io.agnes.bqmc.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.db.PlatformTables;
import io.agnes.bqmc.support.LatencyStandIn;
import io.agnes.bqmc.support.Postgres;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

/**
 * The benchmark harness (bench/run): starts the built jar as a child process against a
 * {@link LatencyStandIn} in this JVM, drives it over real HTTP, and prints a Markdown table of
 * the cases B1-B7 of docs/BENCHMARKS.md. Not part of {@code mvn verify}.
 */
public final class Benchmarks {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private final Path work;
    private final String jar;
    private final List<String> jvmOptions;
    private final int repeats;
    private final List<String[]> rows = new ArrayList<>();

    private Benchmarks(Path work, String jar, List<String> jvmOptions, int repeats) {
        this.work = work;
        this.jar = jar;
        this.jvmOptions = jvmOptions;
        this.repeats = repeats;
    }

    /** With --traces: the OTLP/HTTP endpoint every service started exports its traces to. */
    private static String TRACES_SINK;
    private static com.sun.net.httpserver.HttpServer SINK;

    /**
     * A collector that takes every export and keeps nothing (it answers 200 at once), so the
     * warm run with traces on pays for recording and sending spans, not for a slow collector.
     */
    private static String otlpSink() throws IOException {
        com.sun.net.httpserver.HttpServer sink = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        sink.createContext("/v1/traces", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        sink.start();
        SINK = sink;
        return "http://127.0.0.1:" + sink.getAddress().getPort();
    }

    public static void main(String[] args) throws Exception {
        String jar = "target/bq-metadata-cache.jar";
        List<String> jvm = new ArrayList<>();
        int repeats = 3;
        String only = "B1,B2,B3,B4,B5,B6,B7,B11,B8,B9,B10,B12,B13,B14,B14pg";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--cases" -> only = args[++i];
                case "--jar" -> jar = args[++i];
                case "--jvm-opts" -> jvm.addAll(Arrays.asList(args[++i].trim().split("\\s+")));
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--traces" -> TRACES_SINK = otlpSink();
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (use --jar PATH, --jvm-opts '...', --repeats N, --cases B1,B3, --traces)");
            }
        }
        Path work = Files.createTempDirectory("bqmc-bench");
        Benchmarks b = new Benchmarks(work, jar, jvm, repeats);
        try (LatencyStandIn standIn = new LatencyStandIn()) {
            List<String> cases = Arrays.asList(only.split(","));
            if (cases.contains("B6")) {
                b.startUp(standIn);
            }
            if (cases.contains("B1")) {
                b.refreshCase(standIn, "B1", 1_000, 20, 4, 1.05, false);
            }
            if (cases.contains("B2") || cases.contains("B7")) {
                b.refreshCase(standIn, "B2", 10_000, 20, 32, 1.10, true);
            }
            if (cases.contains("B3") || cases.contains("B4") || cases.contains("B5")) {
                b.throughputCaseAndStatus(standIn);
            }
            if (cases.contains("B11")) {
                b.scaleOutCase(standIn);
            }
            if (cases.contains("B8")) {
                b.quotaCase(standIn);
            }
            if (cases.contains("B9")) {
                b.hundredThousandCase(standIn);
            }
            if (cases.contains("B10")) {
                b.coldWarmTrivialCase(standIn, "B10", 10_000, 20, 32);
            }
            if (cases.contains("B13")) {
                b.largeStatusCase(standIn);
            }
            if (cases.contains("B14")) {
                b.changeEventsCase(standIn, false);
            }
            if (cases.contains("B14pg")) {
                b.changeEventsCase(standIn, true);
            }
            if (cases.contains("B12")) {
                // the default concurrency, at a latency nearer BigQuery's own
                b.coldWarmTrivialCase(standIn, "B12", 400, 50, 4);
            }
        }
        b.print();
        if (SINK != null) {
            SINK.stop(0); // its dispatcher thread would keep the JVM alive
        }
    }

    // ---- cases

    private void startUp(LatencyStandIn standIn) throws Exception {
        List<Long> ms = new ArrayList<>();
        List<Long> cpu = new ArrayList<>();
        List<Long> harnessCpu = new ArrayList<>();
        long idleKb = 0;
        for (int i = 0; i < repeats; i++) {
            try (Service s = Service.start(this, standIn, 10, 4, "start" + i)) {
                ms.add(s.startMs);
                cpu.add(s.cpuMs());
                harnessCpu.add(Service.harnessCpuDuringStartMs);
                if (i == repeats - 1) {
                    // what the process holds once it has settled, as an operator's `ps` shows it
                    Thread.sleep(20_000);
                    idleKb = s.rssKb();
                }
            }
        }
        long median = median(ms);
        row("B6", "process start to first answer (status, 200)", median + " ms (runs: " + ms + ")", "<= 2000 ms",
                median <= 2000);
        row("B6 CPU", "CPU time (user + system) the process spent until its first answer",
                String.format(Locale.ROOT, "%.1f CPU-s (runs: %s ms)", median(cpu) / 1000.0, cpu), "reported", true);
        row("B6 harness", "CPU time the harness itself spent meanwhile (its probe, on the same two cores)",
                String.format(Locale.ROOT, "%.2f CPU-s (runs: %s ms)", median(harnessCpu) / 1000.0, harnessCpu), "reported", true);
        row("B7 idle", "RSS 20 s after the first answer, idle, JVM options " + (jvmOptions.isEmpty() ? "default"
                : String.join(" ", jvmOptions)), idleKb / 1024 + " MB", jvmOptions.isEmpty() ? "<= 250 MB" : "<= 200 MB",
                idleKb / 1024 <= (jvmOptions.isEmpty() ? 250 : 200));
    }

    private void refreshCase(LatencyStandIn standIn, String id, int n, int latencyMs, int concurrency, double goal,
                             boolean sampleMemory) throws Exception {
        standIn.latencyMs(latencyMs);
        try (Service s = Service.start(this, standIn, n, concurrency, id)) {
            long idleRss = s.rssKb();
            RssSampler sampler = sampleMemory ? new RssSampler(s.pid()) : null;
            s.run(); // warm-up: JIT, pools, and the first write of every row
            List<Long> durations = new ArrayList<>();
            int[] perTable = null;
            long peakInFlight = 0;
            for (int i = 0; i < repeats; i++) {
                standIn.reset();
                JsonNode run = s.run();
                durations.add(run.get("duration_ms").asLong());
                perTable = standIn.requestsPerTableRange();
                peakInFlight = Math.max(peakInFlight, standIn.peakInFlight());
                if (run.get("succeeded").asInt() != n) {
                    throw new IllegalStateException(id + ": run did not succeed for every table: " + run);
                }
            }
            long median = median(durations);
            double ideal = (double) n / concurrency * latencyMs;
            double ratio = median / ideal;
            row(id, String.format(Locale.ROOT, "refresh-all N=%,d, %d ms/lookup, concurrency %d", n, latencyMs, concurrency),
                    String.format(Locale.ROOT, "%,d ms vs ideal %,.0f ms: ratio %.3f (runs: %s)", median, ideal, ratio,
                            durations), "<= " + goal, ratio <= goal);
            row(id + " calls", "BigQuery requests per table per run, peak in flight at the stand-in",
                    perTable[0] + (perTable[0] == perTable[1] ? "" : ".." + perTable[1]) + " per table, peak " + peakInFlight
                            + " in flight", "exactly 1; peak <= " + concurrency,
                    perTable[0] == 1 && perTable[1] == 1 && peakInFlight <= concurrency);
            if (sampler != null) {
                long peak = sampler.stop();
                row("B7", "RSS of the service: idle after start / peak during " + id,
                        String.format(Locale.ROOT, "%,d MB / %,d MB", idleRss / 1024, peak / 1024), "<= 300 MB during B2",
                        peak / 1024 <= 300);
            }
        }
    }

    private void throughputCaseAndStatus(LatencyStandIn standIn) throws Exception {
        int n = 10_000;
        standIn.latencyMs(0);
        try (Service s = Service.start(this, standIn, n, 8, "B3")) {
            s.run();
            List<Long> durations = new ArrayList<>();
            for (int i = 0; i < repeats; i++) {
                durations.add(s.run().get("duration_ms").asLong());
            }
            long median = median(durations);
            double perSecond = n * 1000.0 / median;
            row("B3", "refresh-all N=10,000, 0 ms/lookup, concurrency 8: per-row overhead",
                    String.format(Locale.ROOT, "%,.0f tables/s (%,d ms; runs: %s)", perSecond, median, durations),
                    ">= 5,000 tables/s", perSecond >= 5000);

            String status = "/api/v2/metadata-cache/status";
            byte[] body = s.get(status).body().getBytes();
            Latency statusLatency = latency(s.base + status, s.token, 200);
            double statusRate = throughput(s.base + status, s.token, 8, Duration.ofSeconds(8));
            row("B4", String.format(Locale.ROOT, "status with %,d cached rows (%,d KB of JSON)", n, body.length / 1024),
                    String.format(Locale.ROOT, "median %.1f ms, p99 %.1f ms; %.0f req/s with 8 clients",
                            statusLatency.median, statusLatency.p99, statusRate),
                    "median <= 50 ms; >= 50 req/s", statusLatency.median <= 50 && statusRate >= 50);

            Vertx vertx = Vertx.vertx();
            int port = freePort();
            Buffer bytes = Buffer.buffer(body);
            vertx.createHttpServer().requestHandler(r -> r.response().putHeader("Content-Type", "application/json")
                    .end(bytes)).listen(port).toCompletionStage().toCompletableFuture().get();
            try {
                String memory = "http://127.0.0.1:" + port + "/";
                Latency memLatency = latency(memory, null, 200);
                double memRate = throughput(memory, null, 8, Duration.ofSeconds(8));
                row("B5", "status vs the same bytes from memory (Vert.x, same machine)",
                        String.format(Locale.ROOT, "from memory: median %.1f ms, %.0f req/s; status/memory: %.1fx latency,"
                                + " %.2fx throughput", memLatency.median, memRate, statusLatency.median / memLatency.median,
                                statusRate / memRate), "reported", true);
            } finally {
                vertx.close().toCompletionStage().toCompletableFuture().get();
            }
        }
    }

    /**
     * Status of 100,000 tables whose last refreshes straddle the fresh threshold, one a second:
     * verdicts change every second, so nothing rendered earlier can be served again.
     */
    private void largeStatusCase(LatencyStandIn standIn) throws Exception {
        int n = 100_000;
        try (Service s = Service.start(this, standIn, n, 4, "B13")) {
            s.stop();
            try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + s.database());
                 Statement st = c.createStatement()) {
                // the default threshold is two intervals (8 h): ages from 8 h - 50,000 s to 8 h + 50,000 s
                st.execute("INSERT INTO bq_metadata_cache (table_id, refreshed_at, \"rows\", size_bytes, entity_type,"
                        + " clustered_by, known_columns) SELECT 'bench_' || i, now()::TIMESTAMP - INTERVAL (28800 - 50000 + i)"
                        + " SECOND, i, i * 10, 'BASE TABLE', '[\"a\"]', '[\"a\",\"b\",\"c\"]' FROM range(" + n + ") t(i)");
            }
        }
        try (Service s = Service.start(this, standIn, 0, 4, "B13")) {
            String status = "/api/v2/metadata-cache/status";
            byte[] body = s.get(status).body().getBytes();
            Latency latency = latency(s.base + status, s.token, 15);
            row("B13", String.format(Locale.ROOT, "status with %,d rows whose verdicts change every second (%,d KB)", n,
                    body.length / 1024), String.format(Locale.ROOT, "median %.0f ms, p99 %.0f ms", latency.median,
                    latency.p99), "median <= 300 ms", latency.median <= 300);
        }
    }

    /**
     * BigQuery's change events: 1,000 registered tables, a stand-in at 20 ms, pushes signed as
     * Pub/Sub signs them arriving at 200 a second for a minute, each announcing a new row count
     * of a random table. Measured from each push's answer to the status showing that count.
     */
    /**
     * Lookups at once per replica in B14 (AGNES_BQ_METADATA_REFRESH_CONCURRENCY), sized for its change
     * rate as docs/OPERATIONS.md says (one node carries 100 tables a second): -Dbqmc.b14.concurrency=N.
     */
    private static final int CONCURRENCY_B14 = Integer.getInteger("bqmc.b14.concurrency", 16);

    private void changeEventsCase(LatencyStandIn standIn, boolean postgres) throws Exception {
        int n = 1_000;
        int perSecond = Integer.getInteger("bqmc.b14.rate", 200);
        int seconds = 60;
        int debounce = 5;
        int pace = 150;
        standIn.latencyMs(20);
        standIn.reset();
        io.agnes.bqmc.support.PushSigner signer = new io.agnes.bqmc.support.PushSigner("bench-key");
        com.sun.net.httpserver.HttpServer google = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        byte[] jwks = signer.jwks().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        google.createContext(io.agnes.bqmc.support.PushSigner.CERTS_PATH, exchange -> {
            exchange.sendResponseHeaders(200, jwks.length);
            exchange.getResponseBody().write(jwks);
            exchange.close();
        });
        google.start();
        Map<String, String> env = new HashMap<>(signer.environment("http://127.0.0.1:" + google.getAddress().getPort()
                + io.agnes.bqmc.support.PushSigner.CERTS_PATH));
        env.put("BQMC_EVENTS_DEBOUNCE_SECONDS", Integer.toString(debounce));
        env.put("BIGQUERY_MAX_REQUESTS_PER_SECOND", Integer.toString(pace));
        try {
            if (!postgres) {
                try (Service s = Service.start(this, standIn, n, CONCURRENCY_B14, "B14", env)) {
                    changeEvents(standIn, List.of(s), signer, n, perSecond, seconds, debounce, pace, "DuckDB");
                }
                return;
            }
            try (Postgres pg = Postgres.start()) {
                String database = platformDatabase(pg, n);
                env.put("DATABASE_URL", pg.platformUrl(database));
                env.put("AGNES_TOKENS_FILE", work.resolve("B14-tokens").toString());
                // the pace is per replica: three share the one BigQuery quota
                env.put("BIGQUERY_MAX_REQUESTS_PER_SECOND", Integer.toString(pace / 3));
                List<Service> replicas = new ArrayList<>();
                try {
                    for (int r = 1; r <= 3; r++) {
                        replicas.add(Service.start(this, standIn, 0, CONCURRENCY_B14, "B14-r" + r, env));
                    }
                    changeEvents(standIn, replicas, signer, n, perSecond, seconds, debounce, pace,
                            "3 replicas on PostgreSQL, pushes spread over them");
                } finally {
                    for (Service r : replicas) {
                        r.close();
                    }
                }
            }
        } finally {
            google.stop(0);
        }
    }

    /** B14 measures a service that has taken events a while: JIT-compiled, pools and caches full. */
    private static final int WARM_UP_SECONDS = 20;

    /** What a B14 push announced, once its 200 is in: table {@code i} has {@code rows} rows. */
    private interface Answered {
        void at(int i, long rows, long answeredNanos);
    }

    /**
     * Pushes {@code events} changes of random tables at {@code perSecond}, spread over the replicas,
     * each sent when due by one of 16 senders (Pub/Sub pushes many messages at once); the stand-in
     * answers each table's new row count before its push goes.
     */
    private static void pushAtRate(LatencyStandIn standIn, List<Service> replicas, String token, int n, int perSecond,
                                   int events, long seed, long[] version, String ids, Answered answered) throws Exception {
        java.util.concurrent.ExecutorService senders = java.util.concurrent.Executors.newFixedThreadPool(16);
        java.util.Random random = new java.util.Random(seed);
        List<java.util.concurrent.Future<?>> pushes = new ArrayList<>();
        long start = System.nanoTime();
        try {
            for (int e = 0; e < events; e++) {
                long wait = start + TimeUnit.MILLISECONDS.toNanos(e * 1000L / perSecond) - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                int i = random.nextInt(n);
                long rows;
                synchronized (version) {
                    rows = 1_000_000L + (++version[i]);
                    standIn.rows("bench_" + i, rows);
                }
                String base = replicas.get(e % replicas.size()).base;
                String body = io.agnes.bqmc.support.AuditEvents.envelope(io.agnes.bqmc.support.AuditEvents.dataChange(
                        "bench-project", "ds", "bench_" + i, java.time.Instant.now()), ids + e);
                pushes.add(senders.submit(() -> {
                    HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(base
                                    + "/api/v2/metadata-cache/events")).header("Authorization", "Bearer " + token)
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                    if (answer.statusCode() != 200) {
                        throw new IllegalStateException("B14: push answered " + answer.statusCode() + ": " + answer.body());
                    }
                    answered.at(i, rows, System.nanoTime());
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> push : pushes) {
                push.get();
            }
        } finally {
            senders.shutdown();
        }
    }

    /** User and system CPU a process has used, from /proc (Linux). */
    private static long cpuMillis(long pid) {
        try {
            String[] f = Files.readString(Path.of("/proc/" + pid + "/stat")).replaceFirst("^.*\\) ", "").split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Drives one B14 measurement: pushes spread over {@code replicas}, the status read from the first. */
    private void changeEvents(LatencyStandIn standIn, List<Service> replicas, io.agnes.bqmc.support.PushSigner signer,
                              int n, int perSecond, int seconds, int debounce, int pace, String where) throws Exception {
        Service s = replicas.get(0);
        String token = signer.token();
        long[] version = new long[n];
        // per table, the events not yet seen in the status: {row count announced, push answered at}
        List<java.util.PriorityQueue<long[]>> open = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            open.add(new java.util.PriorityQueue<>(java.util.Comparator.comparingLong(a -> a[0])));
        }
        List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicBoolean sending = new java.util.concurrent.atomic.AtomicBoolean(true);
        // warmed up: pushes at the same rate, unrecorded, and time for their windows to close and their lookups to land
        pushAtRate(standIn, replicas, token, n, perSecond, perSecond * WARM_UP_SECONDS, 41, version, "warm-",
                (i, rows, answered) -> { });
        Thread.sleep(TimeUnit.SECONDS.toMillis(debounce + 15));
        standIn.reset();
        Thread watcher = new Thread(() -> {
            try {
                while (sending.get() || open.stream().anyMatch(q -> { synchronized (q) { return !q.isEmpty(); } })) {
                    JsonNode tables = JSON.readTree(s.get("/api/v2/metadata-cache/status").body()).get("tables");
                    long seen = System.nanoTime();
                    for (JsonNode t : tables) {
                        int i = Integer.parseInt(t.get("table_id").asText().substring("bench_".length()));
                        long rows = t.path("rows").asLong(-1);
                        java.util.PriorityQueue<long[]> q = open.get(i);
                        synchronized (q) {
                            while (!q.isEmpty() && q.peek()[0] <= rows) {
                                latencies.add(seen - q.poll()[1]);
                            }
                        }
                    }
                    Thread.sleep(250);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "b14-watcher");
        watcher.start();
        int events = perSecond * seconds;
        Map<Integer, List<Long>> sentAt = new java.util.concurrent.ConcurrentHashMap<>();
        long[] cpuBefore = replicas.stream().mapToLong(r -> cpuMillis(r.pid())).toArray();
        long start = System.nanoTime();
        pushAtRate(standIn, replicas, token, n, perSecond, events, 14, version, "b14-", (i, rows, answered) -> {
            synchronized (open.get(i)) {
                open.get(i).add(new long[] {rows, answered});
            }
            sentAt.computeIfAbsent(i, k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(answered);
        });
        double sendSeconds = (System.nanoTime() - start) / 1e9;
        long serviceCpu = 0;
        for (int r = 0; r < replicas.size(); r++) {
            serviceCpu += cpuMillis(replicas.get(r).pid()) - cpuBefore[r];
        }
        sending.set(false);
        watcher.join(TimeUnit.SECONDS.toMillis(60));
        int lost = 0;
        for (java.util.PriorityQueue<long[]> q : open) {
            lost += q.size();
        }
        // the lookups a perfect debounce would make: per table, windows opened by the first event after the last
        long windows = 0;
        for (List<Long> unsorted : sentAt.values()) {
            List<Long> times = new ArrayList<>(unsorted);
            Collections.sort(times);
            long windowEnd = Long.MIN_VALUE;
            for (long t : times) {
                if (t > windowEnd) {
                    windows++;
                    windowEnd = t + TimeUnit.SECONDS.toNanos(debounce);
                }
            }
        }
        List<Long> sorted = new ArrayList<>(latencies);
        java.util.Collections.sort(sorted);
        double p50 = sorted.get(sorted.size() / 2) / 1e9;
        double p99 = sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(sorted.size() * 0.99) - 1)) / 1e9;
        long lookups = standIn.requests();
        int busiest = standIn.busiestSecond();
        int[] bySecond = new int[30];
        sorted.forEach(l -> bySecond[(int) Math.min(29, l / 1_000_000_000L)]++);
        System.err.println("B14 events by whole seconds to fresh (0-1 s, 1-2 s, ...): " + java.util.Arrays.toString(bySecond));
        row("B14", String.format(Locale.ROOT, "%,d change events at %d/s for %d tables over %.0f s after %d s of them (%s, 20 ms,"
                        + " debounce %d s, pace %d/s, concurrency %d)", events, perSecond, n, sendSeconds, WARM_UP_SECONDS, where,
                        debounce, pace,
                        CONCURRENCY_B14),
                String.format(Locale.ROOT, "event to fresh p50 %.1f s, p99 %.1f s; %,d lookups for %,d windows;"
                        + " busiest second %d; %d events never reflected; service CPU %.1f s while pushed to",
                        p50, p99, lookups, windows, busiest, lost, serviceCpu / 1000.0),
                "p99 <= " + (debounce + 2) + " s, lookups <= windows, pace <= cap + 1, none lost",
                p99 <= debounce + 2 && lookups <= windows && busiest <= pace + 1 && lost == 0);
    }

    /** Three replicas on one PostgreSQL: a run is as quick as on one, and status reads spread over all three. */
    /** A new database on {@code pg} with the platform's tables and {@code n} remote tables bench_0.. registered. */
    private static String platformDatabase(Postgres pg, int n) throws SQLException {
        String database = pg.createDatabase();
        try (Connection c = pg.connect(database); Statement s = c.createStatement()) {
            PlatformTables.create(c, true);
            s.execute("INSERT INTO table_registry (id, name, source_type, bucket, source_table, query_mode)"
                    + " SELECT 'bench_' || i, 'bench_' || i, 'bigquery', 'ds', 'bench_' || i, 'remote'"
                    + " FROM generate_series(0, " + (n - 1) + ") i");
        }
        return database;
    }

    private void scaleOutCase(LatencyStandIn standIn) throws Exception {
        int n = 10_000;
        int concurrency = 32;
        int latencyMs = 20;
        standIn.latencyMs(latencyMs);
        try (Postgres pg = Postgres.start()) {
            String database = platformDatabase(pg, n);
            Map<String, String> env = Map.of("DATABASE_URL", pg.platformUrl(database),
                    "AGNES_TOKENS_FILE", work.resolve("B11-tokens").toString());
            List<Service> replicas = new ArrayList<>();
            try {
                for (int i = 1; i <= 3; i++) {
                    replicas.add(Service.start(this, standIn, 0, concurrency, "B11-r" + i, env));
                }
                for (Service r : replicas) {
                    r.run(); // warm-up, on each: JIT, pools (B10 measures a cold run)
                }
                List<Long> durations = new ArrayList<>();
                int[] perTable = null;
                for (int i = 0; i < repeats; i++) {
                    standIn.reset();
                    JsonNode run = replicas.get((i + 1) % 3).run();
                    durations.add(run.get("duration_ms").asLong());
                    perTable = standIn.requestsPerTableRange();
                    if (run.get("succeeded").asInt() != n) {
                        throw new IllegalStateException("B11: run did not succeed for every table: " + run);
                    }
                }
                long median = median(durations);
                double ideal = (double) n / concurrency * latencyMs;
                row("B11", String.format(Locale.ROOT, "3 replicas on PostgreSQL: refresh-all N=%,d, %d ms/lookup,"
                                + " concurrency %d, triggered on each replica in turn", n, latencyMs, concurrency),
                        String.format(Locale.ROOT, "%,d ms vs ideal %,.0f ms: ratio %.3f (runs: %s); %d..%d request(s)"
                                + " per table", median, ideal, median / ideal, durations, perTable[0], perTable[1]),
                        "<= 1.10; exactly 1 per table", median / ideal <= 1.10 && perTable[0] == 1 && perTable[1] == 1);

                String status = "/api/v2/metadata-cache/status";
                Latency one = latency(replicas.get(0).base + status, replicas.get(0).token, 200);
                double oneRate = throughput(List.of(replicas.get(0).base + status), replicas.get(0).token, 8,
                        Duration.ofSeconds(8));
                double allRate = throughput(replicas.stream().map(r -> r.base + status).toList(),
                        replicas.get(0).token, 8, Duration.ofSeconds(8));
                row("B11 status", String.format(Locale.ROOT, "status with %,d rows on PostgreSQL: 8 clients on one"
                                + " replica, then spread over three", n),
                        String.format(Locale.ROOT, "median %.1f ms on one; %.0f req/s on one, %.0f req/s over three",
                                one.median, oneRate, allRate), "reported (2 cores shared by all)", true);
            } finally {
                for (Service r : replicas) {
                    r.close();
                }
            }
        }
    }

    /** 20,000 tables against a stand-in that enforces 200 requests a second, the service paced at 180. */
    private void quotaCase(LatencyStandIn standIn) throws Exception {
        int n = 20_000;
        int limit = 180;
        standIn.latencyMs(20);
        // its accept and read paths compiled, whichever cases ran before
        standIn.warmedUp();
        standIn.quota(200);
        try (Service s = Service.start(this, standIn, n, 32, "B8", Map.of("BIGQUERY_MAX_REQUESTS_PER_SECOND",
                Integer.toString(limit), "BIGQUERY_MAX_ATTEMPTS", "10", "BIGQUERY_RETRY_INITIAL_DELAY_MS", "200"))) {
            standIn.reset();
            StallProbe harness = StallProbe.start();
            JsonNode run = s.run();
            List<String> stalls = harness.stop();
            long ms = run.get("duration_ms").asLong();
            double ideal = n * 1000.0 / limit;
            int busiest = standIn.busiestSecond();
            // where the busiest second came from: a stall in this JVM (the stand-in's) shows here
            System.err.println("B8 busiest second: " + standIn.busiestSecondProfile());
            if (System.getProperty("bench.arrivals") != null) {
                Files.write(Path.of(System.getProperty("bench.arrivals")),
                        standIn.sortedArrivals().stream().map(String::valueOf).toList());
            }
            System.err.println("B8 harness stalls over 20 ms: " + stalls);
            row("B8", String.format(Locale.ROOT, "N=%,d at a pace of %d/s, the stand-in enforcing 200/s (20 ms/lookup,"
                            + " concurrency 32)", n, limit),
                    String.format(Locale.ROOT, "%,d ms vs N/rate %,.0f ms: ratio %.3f; busiest second %d requests; %d"
                            + " answered 429; %d of %,d ok", ms, ideal, ms / ideal, busiest, standIn.refused(),
                            run.get("succeeded").asInt(), n),
                    "<= 1.05; busiest <= " + (limit + 1) + "; all ok",
                    ms / ideal <= 1.05 && busiest <= limit + 1 && run.get("succeeded").asInt() == n);
        } finally {
            standIn.quota(0);
        }
    }

    /** 100,000 tables with the systemd unit's JVM options: run time, peak RSS, and the status at that size. */
    private void hundredThousandCase(LatencyStandIn standIn) throws Exception {
        List<String> unitOptions = new ArrayList<>(unitJvmOptions());
        if (Boolean.getBoolean("bench.nmt")) {
            unitOptions.add("-XX:NativeMemoryTracking=summary");
        }
        if (Boolean.getBoolean("bench.jfr")) {
            // -Dbench.jfr=true: which objects outlive the run, and what holds them (jdk.OldObjectSample)
            unitOptions.add("-XX:StartFlightRecording=name=b9,settings=profile,path-to-gc-roots=true");
        }
        // and the unit's allocator settings
        Map<String, String> unitEnv = unitEnvironment();
        standIn.latencyMs(20);
        long[] small = runWithMemory(standIn, 1_000, unitOptions, unitEnv, "B9-1k");
        try (Service s = Service.start(this, standIn, 100_000, 32, "B9", unitEnv, unitOptions)) {
            long idle = s.rssKb();
            RssSampler sampler = new RssSampler(s.pid());
            standIn.reset();
            Thread profile = null;
            if (Boolean.getBoolean("bench.nmt")) {
                // -Dbench.nmt=true with --jvm-opts unused: a native-memory summary half way through the run
                profile = new Thread(() -> {
                    try {
                        Thread.sleep(40_000);
                        Process jcmd = new ProcessBuilder("jcmd", Long.toString(s.pid()), "VM.native_memory", "summary")
                                .redirectErrorStream(true).start();
                        System.err.println(new String(jcmd.getInputStream().readAllBytes()));
                        System.err.println("RSS now: " + Service.rssKb(s.pid()) / 1024 + " MB");
                        Process pmap = new ProcessBuilder("pmap", "-x", Long.toString(s.pid()))
                                .redirectErrorStream(true).start();
                        Files.write(work.resolve("B9-pmap.txt"), pmap.getInputStream().readAllBytes());
                        System.err.println("pmap: " + work.resolve("B9-pmap.txt"));
                    } catch (Exception e) {
                        System.err.println("nmt: " + e);
                    }
                });
                profile.start();
            }
            JsonNode run = s.run();
            long peak = sampler.stop();
            if (profile != null) {
                // what the heap still holds once the run is over: nothing per table but the status's bytes
                Process histogram = new ProcessBuilder("jcmd", Long.toString(s.pid()), "GC.class_histogram")
                        .redirectErrorStream(true).start();
                List<String> lines = new String(histogram.getInputStream().readAllBytes()).lines().toList();
                System.err.println(String.join("\n", lines.subList(0, Math.min(18, lines.size()))));
            }
            if (Boolean.getBoolean("bench.jfr")) {
                Path recording = work.resolve("B9.jfr");
                Process dump = new ProcessBuilder("jcmd", Long.toString(s.pid()), "JFR.dump", "name=b9",
                        "path-to-gc-roots=true", "filename=" + recording).redirectErrorStream(true).start();
                System.err.println(new String(dump.getInputStream().readAllBytes()).trim());
            }
            long ms = run.get("duration_ms").asLong();
            double ideal = 100_000 / 32.0 * 20;
            row("B9", "N=100,000, 20 ms/lookup, concurrency 32, the systemd unit's JVM options and allocator settings",
                    String.format(Locale.ROOT, "%,d ms vs ideal %,.0f ms: ratio %.3f; %d of 100,000 ok", ms, ideal, ms / ideal,
                            run.get("succeeded").asInt()), "all ok", run.get("succeeded").asInt() == 100_000);
            row("B9 memory", "peak RSS during the run: 100,000 tables / 1,000 tables (idle after start)",
                    String.format(Locale.ROOT, "%,d MB / %,d MB (idle %,d MB / %,d MB)", peak / 1024, small[1] / 1024,
                            idle / 1024, small[0] / 1024), "<= 400 MB at 100,000", peak / 1024 <= 400);
            String status = "/api/v2/metadata-cache/status";
            byte[] body = s.get(status).body().getBytes();
            Latency latency = latency(s.base + status, s.token, 20);
            row("B9 status", String.format(Locale.ROOT, "status with 100,000 rows (%,d KB of JSON)", body.length / 1024),
                    String.format(Locale.ROOT, "median %.0f ms, p99 %.0f ms", latency.median, latency.p99), "median <= 200 ms",
                    latency.median <= 200);
        }
    }

    /** A thread that sleeps 1 ms at a time and notes each wake-up more than 20 ms late: this JVM's stalls. */
    private static final class StallProbe {
        private final List<String> stalls = Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread = new Thread(this::watch, "bench-stall-probe");

        static StallProbe start() {
            StallProbe probe = new StallProbe();
            probe.thread.setDaemon(true);
            probe.thread.start();
            return probe;
        }

        private void watch() {
            long last = System.nanoTime();
            while (!stop.get()) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
                long now = System.nanoTime();
                if (now - last > 20_000_000L) {
                    stalls.add(String.format(Locale.ROOT, "%.0f ms at t=%d", (now - last) / 1e6, last));
                }
                last = now;
            }
        }

        List<String> stop() throws InterruptedException {
            stop.set(true);
            thread.join();
            return stalls;
        }
    }

    /** {idle, peak} RSS in KB of a service refreshing {@code n} tables once. */
    private long[] runWithMemory(LatencyStandIn standIn, int n, List<String> jvm, Map<String, String> env, String name)
            throws Exception {
        try (Service s = Service.start(this, standIn, n, 32, name, env, jvm)) {
            long idle = s.rssKb();
            RssSampler sampler = new RssSampler(s.pid());
            s.run();
            return new long[] {idle, sampler.stop()};
        }
    }

    /** The first run after start against the second, and both against a trivial keep-alive client. */
    private void coldWarmTrivialCase(LatencyStandIn standIn, String id, int n, int latencyMs, int concurrency)
            throws Exception {
        standIn.latencyMs(latencyMs);
        List<Long> colds = new ArrayList<>();
        List<Long> warms = new ArrayList<>();
        for (int i = 0; i < repeats; i++) {
            // a restart over a cache that exists, as in production: the runs differ only in what the start left cold
            try (Service first = Service.start(this, standIn, n, concurrency, id + "-" + i)) {
                first.run();
            }
            try (Service s = Service.start(this, standIn, 0, concurrency, id + "-" + i)) {
                colds.add(s.run().get("duration_ms").asLong());
                // -Dbench.extraRuns=K: K more runs before the timed warm one, each printed with its CPU
                // (how many runs the JIT takes to catch up; docs/BENCHMARKS.md)
                for (int extra = 0; extra < Integer.getInteger("bench.extraRuns", 0); extra++) {
                    CpuProbe cpu = CpuProbe.of(s.pid());
                    long ms = s.run().get("duration_ms").asLong();
                    System.err.println(id + " run " + (extra + 2) + " after the restart: " + ms + " ms, CPU " + cpu.report());
                }
                // where the warm run's CPU goes: a compiler still catching up shows here (C2 CompilerThre)
                CpuProbe cpu = CpuProbe.of(s.pid());
                warms.add(s.run().get("duration_ms").asLong());
                System.err.println(id + " warm run CPU: " + cpu.report());
            }
        }
        // the trivial client warm as well: its first pass compiles the JDK client in this JVM
        trivialClient(standIn, n, concurrency);
        List<Long> trivials = new ArrayList<>();
        for (int i = 0; i < repeats; i++) {
            CpuProbe cpu = CpuProbe.of(ProcessHandle.current().pid());
            trivials.add(trivialClient(standIn, n, concurrency));
            System.err.println(id + " trivial client CPU (with the stand-in's): " + cpu.report());
        }
        long cold = median(colds);
        long warm = median(warms);
        long trivial = median(trivials);
        row(id, String.format(Locale.ROOT, "N=%,d, %d ms/lookup, concurrency %d: first run after a restart vs"
                        + " the next", n, latencyMs, concurrency),
                String.format(Locale.ROOT, "cold %,d ms, warm %,d ms: %.3f (cold runs %s, warm %s)", cold, warm,
                        (double) cold / warm, colds, warms), "reported", true);
        row(id + " client", "the warm run against a trivial keep-alive HTTP client making the same requests",
                String.format(Locale.ROOT, "warm %,d ms, trivial client %,d ms: %.3f (client runs %s)", warm, trivial,
                        (double) warm / trivial, trivials), "<= 1.05", warm <= 1.05 * trivial);
    }

    /** CPU time a process spent from now on, in all and by thread name (digits folded), from /proc. */
    record CpuProbe(long pid, Map<String, Long> start) {

        static CpuProbe of(long pid) throws IOException {
            return new CpuProbe(pid, threads(pid));
        }

        String report() throws IOException {
            Map<String, Long> spent = new java.util.TreeMap<>();
            threads(pid).forEach((tid, ms) -> {
                long d = ms - start.getOrDefault(tid, 0L);
                if (d > 0) {
                    spent.merge(tid.substring(tid.indexOf(':') + 1).replaceAll("\\d+", "#"), d, Long::sum);
                }
            });
            return spent.values().stream().mapToLong(Long::longValue).sum() + " ms " + spent;
        }

        /** "tid:name" to user + system CPU in ms, of every thread alive now. */
        private static Map<String, Long> threads(long pid) throws IOException {
            Map<String, Long> cpu = new HashMap<>();
            try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
                for (Path t : tasks.toList()) {
                    try {
                        String name = Files.readString(t.resolve("comm")).trim();
                        // fields after "(comm) ": utime and stime are the 12th and 13th, in ticks of 10 ms
                        String[] f = Files.readString(t.resolve("stat")).replaceAll(".*\\) ", "").split(" ");
                        cpu.put(t.getFileName() + ":" + name, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10);
                    } catch (IOException ended) {
                        // the thread ended in between
                    }
                }
            }
            return cpu;
        }
    }

    /** Wall time of {@code n} GETs of the stand-in's tables by {@code threads} threads sharing one keep-alive client. */
    private static long trivialClient(LatencyStandIn standIn, int n, int threads) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(() -> {
                try {
                    for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                        client.send(HttpRequest.newBuilder(URI.create(standIn.url()
                                        + "/bigquery/v2/projects/bench-project/datasets/ds/tables/bench_" + i)).build(),
                                HttpResponse.BodyHandlers.ofByteArray());
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            w.start();
            workers.add(w);
        }
        for (Thread w : workers) {
            w.join();
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** The unit's {@code Environment=} variables other than JAVA_OPTS: the allocators' settings. */
    private static Map<String, String> unitEnvironment() throws IOException {
        Map<String, String> env = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^Environment=\"([A-Z][A-Z0-9_]*)=(.*)\"$")
                .matcher(Files.readString(Path.of("deploy/bq-metadata-cache.service")));
        while (m.find()) {
            if (!m.group(1).equals("JAVA_OPTS")) {
                env.put(m.group(1), m.group(2));
            }
        }
        return env;
    }

    /** The JVM options the systemd unit starts the service with (its Environment=JAVA_OPTS default). */
    private static List<String> unitJvmOptions() throws IOException {
        for (String line : Files.readAllLines(Path.of("deploy/bq-metadata-cache.service"))) {
            if (line.startsWith("Environment=\"JAVA_OPTS=")) {
                String options = line.substring("Environment=\"JAVA_OPTS=".length(), line.length() - 1);
                return List.of(options.split("\\s+"));
            }
        }
        throw new IllegalStateException("deploy/bq-metadata-cache.service has no JAVA_OPTS");
    }

    // ---- measuring

    record Latency(double median, double p99) {
    }

    private static Latency latency(String url, String token, int requests) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < requests + 20; i++) {
            long t = System.nanoTime();
            HttpResponse<byte[]> r = HTTP.send(request(url, token), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                throw new IllegalStateException(url + " answered " + r.statusCode());
            }
            if (i >= 20) {
                ms.add((System.nanoTime() - t) / 1e6);
            }
        }
        Collections.sort(ms);
        return new Latency(ms.get(ms.size() / 2), ms.get((int) Math.ceil(ms.size() * 0.99) - 1));
    }

    private static double throughput(String url, String token, int clients, Duration duration) throws Exception {
        return throughput(List.of(url), token, clients, duration);
    }

    /** Requests per second of {@code clients} callers, client i asking {@code urls[i % urls.size()]}. */
    private static double throughput(List<String> urls, String token, int clients, Duration duration) throws Exception {
        LongAdder done = new LongAdder();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(clients);
        AtomicLong failures = new AtomicLong();
        for (int c = 0; c < clients; c++) {
            String url = urls.get(c % urls.size());
            Thread t = new Thread(() -> {
                HttpClient own = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                try {
                    while (!stop.get()) {
                        HttpResponse<Void> r = own.send(request(url, token), HttpResponse.BodyHandlers.discarding());
                        if (r.statusCode() == 200) {
                            done.increment();
                        } else {
                            failures.incrementAndGet();
                        }
                    }
                } catch (Exception e) {
                    failures.incrementAndGet();
                } finally {
                    finished.countDown();
                }
            });
            t.start();
        }
        long start = System.nanoTime();
        Thread.sleep(duration.toMillis());
        stop.set(true);
        finished.await(60, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (failures.get() > 0) {
            throw new IllegalStateException(failures.get() + " failed requests to " + urls);
        }
        return done.sum() / seconds;
    }

    private static HttpRequest request(String url, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b.build();
    }

    /** Peak VmRSS of a process, sampled every 50 ms. */
    static final class RssSampler {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicLong peak = new AtomicLong();
        private final Thread thread;

        RssSampler(long pid) {
            thread = new Thread(() -> {
                while (!stop.get()) {
                    peak.accumulateAndGet(Service.rssKb(pid), Math::max);
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            thread.setDaemon(true);
            thread.start();
        }

        long stop() throws InterruptedException {
            stop.set(true);
            thread.join();
            return peak.get();
        }
    }

    // ---- the service under test

    static final class Service implements AutoCloseable {
        final Process process;
        final String base;
        final String token;
        final long startMs;
        final Path log;

        private Service(Process process, String base, String token, long startMs, Path log) {
            this.log = log;
            this.process = process;
            this.base = base;
            this.token = token;
            this.startMs = startMs;
        }

        static Service start(Benchmarks b, LatencyStandIn standIn, int tables, int concurrency, String name)
                throws Exception {
            return start(b, standIn, tables, concurrency, name, Map.of());
        }

        /** With {@code extraEnv} on top; tables are registered only in the DuckDB file of its own. */
        static Service start(Benchmarks b, LatencyStandIn standIn, int tables, int concurrency, String name,
                             Map<String, String> extraEnv) throws Exception {
            return start(b, standIn, tables, concurrency, name, extraEnv, b.jvmOptions);
        }

        /** With JVM options of its own instead of {@code --jvm-opts}. */
        static Service start(Benchmarks b, LatencyStandIn standIn, int tables, int concurrency, String name,
                             Map<String, String> extraEnv, List<String> jvmOptions) throws Exception {
            Path dir = Files.createDirectories(b.work.resolve(name));
            Path db = dir.resolve("system.duckdb");
            if (tables > 0) {
                register(db, tables);
            }
            Path tokens = Path.of(extraEnv.getOrDefault("AGNES_TOKENS_FILE", dir.resolve("tokens").toString()));
            String token = TokenIssuer.issue(tokens, "bench@example.com", Role.ADMIN, null);
            int port = freePort();
            Map<String, String> env = new HashMap<>();
            env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
            // allocator settings to try: glibc's MALLOC_* and DuckDB's jemalloc (DUCKDB_JE_MALLOC_CONF);
            // OTEL_*: a collector of your own; --traces starts one in the harness
            System.getenv().forEach((k, v) -> {
                if (k.startsWith("MALLOC_") || k.startsWith("DUCKDB_JE_") || k.startsWith("OTEL_")) {
                    env.put(k, v);
                }
            });
            env.put("PORT", Integer.toString(port));
            env.put("MANAGEMENT_PORT", Integer.toString(freePort()));
            env.put("AGNES_DB_URL", "jdbc:duckdb:" + db);
            env.put("AGNES_TOKENS_FILE", tokens.toString());
            env.put("SCHEDULER_STARTUP_GRACE_SECONDS", "86400");
            env.put("BIGQUERY_API_URL", standIn.url());
            env.put("BIGQUERY_PROJECT", "bench-project");
            env.put("BIGQUERY_MAX_ATTEMPTS", "1");
            // the stand-in has no quota: the earlier figures were taken without a pace (B8 sets one)
            env.put("BIGQUERY_MAX_REQUESTS_PER_SECOND", "0");
            env.put("AGNES_BQ_METADATA_REFRESH_CONCURRENCY", Integer.toString(concurrency));
            env.put("REPLICA_ID", name);
            if (TRACES_SINK != null) {
                env.put("OTEL_EXPORTER_OTLP_ENDPOINT", TRACES_SINK);
            }
            env.putAll(extraEnv);
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmOptions);
            command.addAll(List.of("-jar", b.jar));
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("service.log").toFile());
            pb.environment().clear();
            pb.environment().putAll(env);
            long harnessCpu0 = ownCpuMs();
            long t0 = System.nanoTime();
            Process process = pb.start();
            String base = "http://127.0.0.1:" + port;
            awaitFirstStatus(process, port, token, dir.resolve("service.log"));
            long startMs = (System.nanoTime() - t0) / 1_000_000;
            harnessCpuDuringStartMs = ownCpuMs() - harnessCpu0;
            return new Service(process, base, token, startMs, dir.resolve("service.log"));
        }

        /** The harness's own CPU while the last service started: what the instrument took from the two cores. */
        static volatile long harnessCpuDuringStartMs;

        private static long ownCpuMs() {
            return ProcessHandle.current().info().totalCpuDuration().map(Duration::toMillis).orElse(0L);
        }

        /**
         * Polls the status every 10 ms until it answers 200, over a plain socket: the JDK's
         * HttpClient, used here until 2026-12-05, took 0.4-0.5 CPU-s of the two cores the service was
         * starting on (its classes, a refused connection's exceptions), and B6 counted that as the
         * service's start. A socket's refused connect costs microseconds.
         */
        private static void awaitFirstStatus(Process process, int port, String token, Path log) throws Exception {
            byte[] ask = ("GET /api/v2/metadata-cache/status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] ok = "HTTP/1.1 200".getBytes(StandardCharsets.US_ASCII);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("service exited: " + Files.readString(log));
                }
                try (java.net.Socket socket = new java.net.Socket()) {
                    socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 10_000);
                    socket.setSoTimeout(60_000);
                    socket.getOutputStream().write(ask);
                    byte[] head = socket.getInputStream().readNBytes(ok.length);
                    if (Arrays.equals(head, ok)) {
                        return;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("service did not answer within 120 s");
                }
                Thread.sleep(10);
            }
        }

        private static void register(Path db, int tables) throws Exception {
            try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + db); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE table_registry (id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, source_type VARCHAR,"
                        + " bucket VARCHAR, source_table VARCHAR, query_mode VARCHAR DEFAULT 'local', bq_fqn VARCHAR,"
                        + " registered_by VARCHAR, registered_at TIMESTAMP DEFAULT current_timestamp)");
                s.execute("INSERT INTO table_registry (id, name, source_type, bucket, source_table, query_mode)"
                        + " SELECT 'bench_' || i, 'bench_' || i, 'bigquery', 'ds', 'bench_' || i, 'remote'"
                        + " FROM range(" + tables + ") t(i)");
            }
        }

        long pid() {
            return process.pid();
        }

        /** Waits until the service's log has a line containing {@code text}. */
        void awaitLog(String text, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                if (Files.readString(log).contains(text)) {
                    return;
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException("no '" + text + "' in " + log + " within " + timeout);
        }

        long rssKb() {
            return rssKb(process.pid());
        }

        /** User and system CPU time of the process so far, from /proc/PID/stat (clock ticks of 10 ms). */
        long cpuMs() throws IOException {
            String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after "pid (comm) ": state is field 3, utime 14, stime 15
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10;
        }

        static long rssKb(long pid) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        return Long.parseLong(line.replaceAll("\\D", ""));
                    }
                }
            } catch (IOException | NumberFormatException e) {
                return 0;
            }
            return 0;
        }

        JsonNode run() throws Exception {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/admin/run-bq-metadata-refresh"))
                    .timeout(Duration.ofMinutes(10)).header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("run answered " + r.statusCode() + ": " + r.body());
            }
            return JSON.readTree(r.body());
        }

        HttpResponse<String> get(String path) throws Exception {
            return HTTP.send(request(base + path, token), HttpResponse.BodyHandlers.ofString());
        }

        /** Stops the process (SIGTERM), so its database file can be opened by another. */
        void stop() throws Exception {
            close();
        }

        Path database() {
            return log.getParent().resolve("system.duckdb");
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    // ---- output

    private void row(String id, String what, String result, String goal, boolean met) {
        rows.add(new String[] {id, what, result, goal, met ? "met" : "MISSED"});
        System.err.printf("%s: %s -> %s (%s)%n", id, what, result, met ? "met" : "MISSED");
    }

    private void print() {
        System.out.println();
        System.out.println("| case | what | result | goal | |");
        System.out.println("|---|---|---|---|---|");
        for (String[] r : rows) {
            System.out.printf("| %s | %s | %s | %s | %s |%n", (Object[]) r);
        }
        System.out.printf("%nmachine: %d cores, %s, Java %s; jvm options: %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.arch"), System.getProperty("java.version"),
                jvmOptions.isEmpty() ? "(none)" : String.join(" ", jvmOptions));
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
