package io.agnes.bqmc.bench;

import java.nio.charset.StandardCharsets;
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
 * A BigQuery {@code tables.get} stand-in for benchmarks: answers any table with a real-shaped
 * Table resource after a fixed latency, counts requests per table and the most in flight.
 * Runs in the harness JVM, so its CPU is not the service's. Non-blocking (Vert.x timers rather
 * than a sleeping thread per request), so its own overhead stays well under a millisecond and
 * the harness measures the service, not the stand-in.
 */
final class LatencyStandIn implements AutoCloseable {

    private final Vertx vertx;
    private final HttpServer server;
    private volatile int latencyMs;
    private final ConcurrentHashMap<String, AtomicInteger> perTable = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peakInFlight = new AtomicInteger();
    private final LongAdder requests = new LongAdder();

    LatencyStandIn() throws Exception {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        server = vertx.createHttpServer().requestHandler(this::handle);
        server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    String url() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    void latencyMs(int ms) {
        latencyMs = ms;
    }

    void reset() {
        perTable.clear();
        peakInFlight.set(0);
        requests.reset();
    }

    long requests() {
        return requests.sum();
    }

    int peakInFlight() {
        return peakInFlight.get();
    }

    /** Min and max requests any table got. */
    int[] requestsPerTableRange() {
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (AtomicInteger n : perTable.values()) {
            min = Math.min(min, n.get());
            max = Math.max(max, n.get());
        }
        return new int[] {perTable.isEmpty() ? 0 : min, max};
    }

    private void handle(HttpServerRequest request) {
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
