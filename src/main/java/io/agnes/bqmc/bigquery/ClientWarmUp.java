package io.agnes.bqmc.bigquery;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.Table;
import com.google.cloud.bigquery.TableId;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first run after a start was a quarter slower than the second (docs/BENCHMARKS.md, B10):
 * the HTTP client, the JSON parsing and the mapping ran interpreted until the JIT caught up. At
 * start, in the background, a client of the real one's make asks a stand-in in this process, on
 * loopback, for table resources and maps each as a lookup would, at least {@value #REQUESTS} of
 * them and until the JIT compiler has caught up: the same code is compiled before the first run,
 * and BigQuery sees nothing. It gives way to the first real request: a run triggered during the
 * warm-up would otherwise share the cores with it, and its paced requests would reach BigQuery
 * late and bunched (bench/run B8 saw 191 in one second at a pace of 180 until it did).
 */
final class ClientWarmUp {

    private static final Logger LOG = LoggerFactory.getLogger(ClientWarmUp.class);

    /** Requests at least: the client's own code is compiled by then. */
    static final int REQUESTS = 4000;

    /**
     * Then it goes on until the JIT compiler is busy less than this share of a second. The
     * compiler works through a queue on one thread (on two cores); stopping at a fixed count left
     * it seconds behind, and it compiled the client's code during the first two runs instead,
     * on the cores the runs needed (docs/BENCHMARKS.md, B10).
     */
    static final double SETTLED_SHARE = 0.2;

    /** The most a warm-up takes: well inside the first run's default grace of 60 s. */
    static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(30);

    /**
     * Threads asking at once. Enough to take the paths of a shared connection pool, and few
     * enough that the JIT compiler, which needs a core of its own to catch up, gets one.
     */
    static final int CALLERS = 2;

    private static final long TICK_MS = 1000;

    private ClientWarmUp() {
    }

    static void startInBackground(ConfiguredBigQueryConnectionFactory factory, int threads, RequestRate service) {
        Thread t = new Thread(() -> run(factory, threads, service), "bqmc-warm-up");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    static void run(ConfiguredBigQueryConnectionFactory factory, int threads, RequestRate service) {
        long started = System.nanoTime();
        HttpServer server = null;
        int callerCount = Math.max(1, Math.min(threads, CALLERS));
        ExecutorService callers = Executors.newFixedThreadPool(callerCount, r -> {
            Thread t = new Thread(r, "bqmc-warm-up-caller");
            t.setDaemon(true);
            return t;
        });
        // the stand-in's threads, stopped with it (stopping the server leaves its executor running)
        ExecutorService answering = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "bqmc-warm-up-stand-in");
            t.setDaemon(true);
            return t;
        });
        try {
            // without it the JDK server's separate header and body writes meet the client's delayed
            // ACK: 40 ms a request, 22 s for the warm-up instead of a few
            System.setProperty("sun.net.httpserver.nodelay", "true");
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            server.createContext("/", ClientWarmUp::answer);
            server.setExecutor(answering);
            server.start();
            BigQuery client = factory.buildFor("http://127.0.0.1:" + server.getAddress().getPort());
            AtomicInteger sent = new AtomicInteger();
            AtomicBoolean done = new AtomicBoolean();
            for (int c = 0; c < callerCount; c++) {
                callers.submit(() -> {
                    while (!done.get() && !service.asked()) {
                        int i = sent.getAndIncrement();
                        Table table = client.getTable(TableId.of("warm-up", "ds", "t" + i));
                        if (table != null) {
                            TableLookup.implausible(table, new BigQueryTarget("warm-up", "ds", "t" + i));
                            TableMetadataMapper.map(table);
                        }
                    }
                    return null;
                });
            }
            callers.shutdown();
            String why = waitUntilSettled(callers, sent, service, started);
            done.set(true);
            callers.awaitTermination(1, TimeUnit.MINUTES);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            if (service.asked()) {
                LOG.info("BigQuery client warm-up stopped after {} ms ({} requests): the first request to BigQuery is going out",
                        ms, sent.get());
            } else {
                LOG.info("BigQuery client warmed up in {} ms ({} requests on loopback, before any request to BigQuery; {})",
                        ms, sent.get(), why);
            }
        } catch (IOException | RuntimeException e) {
            // only the first run's speed depends on it
            LOG.debug("BigQuery client warm-up skipped: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            callers.shutdownNow();
            if (server != null) {
                server.stop(0);
            }
            answering.shutdownNow();
        }
    }

    /**
     * Waits while the callers run: until at least {@value #REQUESTS} requests went out and the JIT
     * compiler was busy less than {@value #SETTLED_SHARE} of the last second, or for at most
     * {@link #MAX_NANOS}, or until the first real request is due. Why it stopped, for the log.
     */
    private static String waitUntilSettled(ExecutorService callers, AtomicInteger sent, RequestRate service,
                                           long started) throws InterruptedException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean measurable = jit != null && jit.isCompilationTimeMonitoringSupported();
        long lastAt = System.nanoTime();
        long lastCompiling = measurable ? jit.getTotalCompilationTime() : 0;
        while (!service.asked()) {
            if (callers.awaitTermination(TICK_MS, TimeUnit.MILLISECONDS)) {
                return "its callers stopped";
            }
            long now = System.nanoTime();
            long compiling = measurable ? jit.getTotalCompilationTime() : 0;
            double share = (compiling - lastCompiling) / (TimeUnit.NANOSECONDS.toMillis(now - lastAt) + 1.0);
            lastAt = now;
            lastCompiling = compiling;
            if (now - started >= MAX_NANOS) {
                return "the JIT compiler still busy after " + TimeUnit.NANOSECONDS.toSeconds(MAX_NANOS) + " s";
            }
            if (sent.get() < REQUESTS) {
                continue;
            }
            if (!measurable) {
                return "no JIT compiler figures to wait for";
            }
            if (share < SETTLED_SHARE) {
                return String.format(Locale.ROOT, "the JIT compiler busy %.0f%% of the last second", share * 100);
            }
        }
        return "a request to BigQuery is due";
    }

    private static void answer(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String table = path.substring(path.lastIndexOf('/') + 1);
        byte[] body = ("{\"kind\":\"bigquery#table\",\"etag\":\"e\",\"id\":\"warm-up:ds." + table + "\","
                + "\"tableReference\":{\"projectId\":\"warm-up\",\"datasetId\":\"ds\",\"tableId\":\"" + table + "\"},"
                + "\"schema\":{\"fields\":[{\"name\":\"id\",\"type\":\"STRING\"},{\"name\":\"day\",\"type\":\"DATE\"},"
                + "{\"name\":\"r\",\"type\":\"RECORD\",\"fields\":[{\"name\":\"x\",\"type\":\"INT64\"}]}]},"
                + "\"timePartitioning\":{\"type\":\"DAY\",\"field\":\"day\"},\"clustering\":{\"fields\":[\"id\"]},"
                + "\"numRows\":\"12345\",\"numBytes\":\"678900\",\"type\":\"TABLE\",\"location\":\"EU\","
                + "\"creationTime\":\"1700000000000\",\"lastModifiedTime\":\"1764000000000\"}")
                .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
