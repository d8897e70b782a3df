package io.agnes.bqmc.bigquery;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
 * loopback, for {@value #REQUESTS} table resources and maps each as a lookup would: the same code
 * is compiled before the first run, and BigQuery sees nothing. It gives way to the first real
 * request: a run triggered during the warm-up would otherwise share the cores with it, and its
 * paced requests would reach BigQuery late and bunched (bench/run B8 saw 191 in one second at a
 * pace of 180 until it did).
 */
final class ClientWarmUp {

    private static final Logger LOG = LoggerFactory.getLogger(ClientWarmUp.class);

    static final int REQUESTS = 4000;

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
        int callerCount = Math.max(1, Math.min(threads, 8));
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
            AtomicInteger next = new AtomicInteger();
            for (int c = 0; c < callerCount; c++) {
                callers.submit(() -> {
                    for (int i = next.getAndIncrement(); i < REQUESTS && !service.asked(); i = next.getAndIncrement()) {
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
            callers.awaitTermination(2, TimeUnit.MINUTES);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            if (service.asked()) {
                LOG.info("BigQuery client warm-up stopped after {} ms: the first request to BigQuery is going out", ms);
            } else {
                LOG.info("BigQuery client warmed up in {} ms (on loopback, before any request to BigQuery)", ms);
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
