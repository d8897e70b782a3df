package io.agnes.bqmc.support;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;

/**
 * A BigQuery {@code tables.get} stand-in for benchmarks and the pace tests: answers any table
 * with a real-shaped Table resource after a fixed latency, counts requests per table and the
 * most in flight, records when each request arrived, and can enforce a quota as Google does
 * (beyond it in any one-second window: 429 {@code rateLimitExceeded}).
 * Runs in the harness JVM, so its CPU is not the service's. Non-blocking (Vert.x timers rather
 * than a sleeping thread per request), so its own overhead stays well under a millisecond and
 * the harness measures the service, not the stand-in.
 */
public final class LatencyStandIn implements AutoCloseable {

    private final Vertx vertx;
    private final HttpServer server;
    private volatile int latencyMs;
    private final ConcurrentHashMap<String, AtomicInteger> perTable = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peakInFlight = new AtomicInteger();
    private final LongAdder requests = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final ConcurrentLinkedQueue<Long> arrivals = new ConcurrentLinkedQueue<>();
    private final ArrayDeque<Long> accepted = new ArrayDeque<>();
    private volatile int quota;
    /** Row counts set by a benchmark, per table; the others answer a number of their own. */
    private final ConcurrentHashMap<String, Long> rows = new ConcurrentHashMap<>();

    public LatencyStandIn() throws Exception {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        server = vertx.createHttpServer().requestHandler(this::handle);
        server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    public String url() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    /** From now on {@code table} answers {@code n} rows (a change the benchmark then announces). */
    public void rows(String table, long n) {
        rows.put(table, n);
    }

    public void latencyMs(int ms) {
        latencyMs = ms;
    }

    public void reset() {
        perTable.clear();
        peakInFlight.set(0);
        requests.reset();
        refused.reset();
        arrivals.clear();
        synchronized (accepted) {
            accepted.clear();
        }
    }

    /**
     * Answers a few thousand requests of its own, over 64 connections at once, then forgets them:
     * a cold stand-in accepts and reads its first connections late, and the requests the kernel
     * had already taken in on them then count as arriving together, a burst the service never sent
     * (B8 saw 31 requests "arrive" within 25 ms of a run paced at one per 5.6 ms).
     */
    public LatencyStandIn warmedUp() throws Exception {
        List<Thread> callers = new ArrayList<>();
        java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
        for (int c = 0; c < 64; c++) {
            int caller = c;
            Thread t = new Thread(() -> {
                // a client each: a connection each
                java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                        .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
                try {
                    for (int i = 0; i < 40; i++) {
                        http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url()
                                        + "/bigquery/v2/projects/bench-project/datasets/ds/tables/warm" + caller + "_" + i)).build(),
                                java.net.http.HttpResponse.BodyHandlers.discarding());
                    }
                } catch (Exception e) {
                    failed.set(e);
                }
            });
            t.start();
            callers.add(t);
        }
        for (Thread t : callers) {
            t.join();
        }
        if (failed.get() != null) {
            throw failed.get();
        }
        reset();
        return this;
    }

    /** Requests per second answered before 429s start; 0 for none. */
    public void quota(int perSecond) {
        quota = perSecond;
    }

    /** Requests answered 429 for the quota. */
    public long refused() {
        return refused.sum();
    }

    /** The most requests that arrived within any one second (accepted or not). */
    public int busiestSecond() {
        return busiestWindow(sortedArrivals())[0];
    }

    /** When each request arrived ({@code System.nanoTime}, the same clock in every JVM of this machine), in order. */
    public List<Long> sortedArrivals() {
        List<Long> times = new ArrayList<>(arrivals);
        Collections.sort(times);
        return times;
    }

    /** {most requests within one second, index of the first of them} over sorted arrival times. */
    private static int[] busiestWindow(List<Long> times) {
        int most = 0;
        int first = 0;
        int start = 0;
        for (int end = 0; end < times.size(); end++) {
            while (times.get(end) - times.get(start) >= 1_000_000_000L) {
                start++;
            }
            if (end - start + 1 > most) {
                most = end - start + 1;
                first = start;
            }
        }
        return new int[] {most, first};
    }

    /**
     * Where the busiest second was, and what made it: its start, its largest gap between two
     * arrivals and how many arrived within 10 ms after that gap (a stall somewhere between the
     * pace and this count).
     */
    public String busiestSecondProfile() {
        List<Long> times = sortedArrivals();
        if (times.isEmpty()) {
            return "no arrivals";
        }
        int[] window = busiestWindow(times);
        int most = window[0];
        int bestStart = window[1];
        long gap = 0;
        int after = bestStart;
        for (int i = bestStart + 1; i < bestStart + most; i++) {
            if (times.get(i) - times.get(i - 1) > gap) {
                gap = times.get(i) - times.get(i - 1);
                after = i;
            }
        }
        int burst = 0;
        for (int i = after; i < times.size() && times.get(i) - times.get(after) <= 10_000_000L; i++) {
            burst++;
        }
        return String.format(java.util.Locale.ROOT, "%d requests from t=%d; largest gap %.1f ms at t=%d, then %d within 10 ms",
                most, times.get(bestStart), gap / 1e6, times.get(after), burst);
    }

    private boolean overQuota(long now) {
        int q = quota;
        if (q <= 0) {
            return false;
        }
        synchronized (accepted) {
            while (!accepted.isEmpty() && now - accepted.peekFirst() >= 1_000_000_000L) {
                accepted.pollFirst();
            }
            if (accepted.size() >= q) {
                return true;
            }
            accepted.addLast(now);
            return false;
        }
    }

    public long requests() {
        return requests.sum();
    }

    public int peakInFlight() {
        return peakInFlight.get();
    }

    /** Min and max requests any table got. */
    public int[] requestsPerTableRange() {
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (AtomicInteger n : perTable.values()) {
            min = Math.min(min, n.get());
            max = Math.max(max, n.get());
        }
        return new int[] {perTable.isEmpty() ? 0 : min, max};
    }

    private void handle(HttpServerRequest request) {
        long arrived = System.nanoTime();
        arrivals.add(arrived);
        if (overQuota(arrived)) {
            refused.increment();
            request.response().setStatusCode(429).putHeader("Content-Type", "application/json; charset=UTF-8")
                    .end(BigQueryJson.error(429, "rateLimitExceeded", "Exceeded rate limits: too many api requests"
                            + " per user per method for this user_method"));
            return;
        }
        int now = inFlight.incrementAndGet();
        peakInFlight.accumulateAndGet(now, Math::max);
        String path = request.path();
        String table = path.substring(path.lastIndexOf('/') + 1);
        perTable.computeIfAbsent(table, k -> new AtomicInteger()).incrementAndGet();
        requests.increment();
        Buffer body = Buffer.buffer(tableJson(table, rows.get(table)).getBytes(StandardCharsets.UTF_8));
        Runnable answer = () -> {
            // served: from here the client may already be reading the answer and asking again
            inFlight.decrementAndGet();
            request.response().putHeader("Content-Type", "application/json; charset=UTF-8").end(body);
        };
        if (latencyMs > 0) {
            vertx.setTimer(latencyMs, id -> answer.run());
        } else {
            answer.run();
        }
    }

    private static String tableJson(String table, Long set) {
        long n = set != null ? set : Math.abs(table.hashCode());
        return "{\"kind\":\"bigquery#table\",\"etag\":\"e\",\"id\":\"bench-project:ds." + table + "\","
                + "\"tableReference\":{\"projectId\":\"bench-project\",\"datasetId\":\"ds\",\"tableId\":\"" + table + "\"},"
                + "\"schema\":{\"fields\":[{\"name\":\"id\",\"type\":\"STRING\"},{\"name\":\"day\",\"type\":\"DATE\"},"
                + "{\"name\":\"region\",\"type\":\"STRING\"},{\"name\":\"amount\",\"type\":\"NUMERIC\"}]},"
                + "\"timePartitioning\":{\"type\":\"DAY\",\"field\":\"day\"},\"clustering\":{\"fields\":[\"region\"]},"
                + "\"numRows\":\"" + n + "\",\"numBytes\":\"" + (n * 100L) + "\",\"type\":\"TABLE\",\"location\":\"EU\","
                + "\"creationTime\":\"1700000000000\",\"lastModifiedTime\":\"1764000000000\"}";
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
