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

    public LatencyStandIn() throws Exception {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        server = vertx.createHttpServer().requestHandler(this::handle);
        server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    public String url() {
        return "http://127.0.0.1:" + server.actualPort();
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
     * Answers a few hundred requests of its own, then forgets them: a cold stand-in handles its
     * first requests late and together, which would show as a burst the service never sent.
     */
    public LatencyStandIn warmedUp() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        for (int i = 0; i < 300; i++) {
            http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url()
                            + "/bigquery/v2/projects/bench-project/datasets/ds/tables/warm" + i)).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding());
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
        List<Long> times = new ArrayList<>(arrivals);
        Collections.sort(times);
        int most = 0;
        int start = 0;
        for (int end = 0; end < times.size(); end++) {
            while (times.get(end) - times.get(start) >= 1_000_000_000L) {
                start++;
            }
            most = Math.max(most, end - start + 1);
        }
        return most;
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
        Buffer body = Buffer.buffer(tableJson(table).getBytes(StandardCharsets.UTF_8));
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

    private static String tableJson(String table) {
        int n = Math.abs(table.hashCode());
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
