package io.agnes.bqmc.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A local stand-in for the one BigQuery REST call this service makes ({@code tables.get}),
 * so that {@code --demo} runs the real client over real HTTP without a Google account.
 * Table resources are JSON files under {@code demo/bigquery/<project>.<dataset>.<table>.json};
 * an unknown table gets BigQuery's 404 error body, and tables whose id ends in {@code _flaky}
 * answer every other request with a 503 {@code backendError}, which the service retries.
 * <p>
 * It also plays the rest of Google for the change events: it publishes the demo push key
 * ({@link DemoPushes}) where Google publishes its own, and {@code POST /demo/change?table=P.D.T}
 * adds 100 rows to that table and pushes the audit entry BigQuery would write, as Pub/Sub would.
 */
public final class BigQueryStandIn implements AutoCloseable {

    private static final Pattern TABLES_GET =
            Pattern.compile("/bigquery/v2/projects/([^/]+)/datasets/([^/]+)/tables/([^/]+)");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final Map<String, AtomicInteger> requestsPerTable = new ConcurrentHashMap<>();
    /** Rows added per table by {@code /demo/change}. */
    private final Map<String, AtomicLong> addedRows = new ConcurrentHashMap<>();
    private final DemoPushes pushes = new DemoPushes();

    private BigQueryStandIn(HttpServer server) {
        this.server = server;
    }

    /** Starts on a free loopback port. */
    public static BigQueryStandIn start() throws IOException {
        // separate header and body writes would otherwise wait on the client's delayed ACK
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        BigQueryStandIn standIn = new BigQueryStandIn(server);
        server.createContext("/", standIn::handle);
        // no executor: each answer is a small file read at once, so the server's own thread serves them
        // (a change's push is answered once queued, before the service looks the table up here)
        server.start();
        return standIn;
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The demo's pushes go to this events endpoint. */
    public void pushTo(URI eventsEndpoint) {
        pushes.pushTo(eventsEndpoint);
    }

    public URI certsUrl() {
        return url().resolve(DemoPushes.CERTS_PATH);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        if (path.equals("/demo/change") && "POST".equals(exchange.getRequestMethod())) {
            // answered when the push is: the server's one thread must stay free to serve the key set meanwhile
            change(exchange);
            return;
        }
        try (exchange) {
            if (path.equals(DemoPushes.CERTS_PATH)) {
                send(exchange, 200, pushes.jwks().getBytes(StandardCharsets.UTF_8));
                return;
            }
            Matcher m = TABLES_GET.matcher(exchange.getRequestURI().getPath());
            if (!"GET".equals(exchange.getRequestMethod()) || !m.matches()) {
                send(exchange, 404, error(404, "notFound", "Not found: " + exchange.getRequestURI().getPath()));
                return;
            }
            String fqn = m.group(1) + "." + m.group(2) + "." + m.group(3);
            int n = requestsPerTable.computeIfAbsent(fqn, k -> new AtomicInteger()).incrementAndGet();
            if (m.group(3).endsWith("_flaky") && n % 2 == 1) {
                send(exchange, 503, error(503, "backendError", "Backend error. Please try again."));
                return;
            }
            try (InputStream table = BigQueryStandIn.class.getResourceAsStream("/demo/bigquery/" + fqn + ".json")) {
                if (table == null) {
                    send(exchange, 404, error(404, "notFound", "Not found: Table " + m.group(1) + ":" + m.group(2)
                            + "." + m.group(3)));
                } else {
                    send(exchange, 200, withAddedRows(fqn, table.readAllBytes()));
                }
            }
        }
    }

    private byte[] withAddedRows(String fqn, byte[] resource) throws IOException {
        AtomicLong added = addedRows.get(fqn);
        if (added == null) {
            return resource;
        }
        ObjectNode table = (ObjectNode) JSON.readTree(resource);
        table.put("numRows", Long.toString(table.path("numRows").asLong() + added.get()));
        table.put("lastModifiedTime", Long.toString(System.currentTimeMillis()));
        return JSON.writeValueAsBytes(table);
    }

    /** {@code ?table=project.dataset.table}: 100 rows more, and the push BigQuery's audit log would cause. */
    private void change(HttpExchange exchange) throws IOException {
        String query = exchange.getRequestURI().getQuery();
        String fqn = query == null || !query.startsWith("table=") ? "" : query.substring("table=".length());
        String[] parts = fqn.split("\\.");
        if (parts.length != 3 || BigQueryStandIn.class.getResource("/demo/bigquery/" + fqn + ".json") == null) {
            try (exchange) {
                send(exchange, 404, error(404, "notFound", "Not found: Table " + fqn.replaceAll("[^A-Za-z0-9_.-]", "?")));
            }
            return;
        }
        addedRows.computeIfAbsent(fqn, k -> new AtomicLong()).addAndGet(100);
        try {
            pushes.pushDataChange(parts[0], parts[1], parts[2]).whenComplete((answer, failed) -> {
                try (exchange) {
                    if (failed == null) {
                        send(exchange, answer.statusCode(), answer.body().getBytes(StandardCharsets.UTF_8));
                    } else {
                        send(exchange, 502, error(502, "pushFailed", "The push did not reach the service"));
                    }
                } catch (IOException gone) {
                    // the caller hung up: nothing to tell
                }
            });
        } catch (Exception e) {
            try (exchange) {
                send(exchange, 502, error(502, "pushFailed", "The push could not be made"));
            }
        }
    }

    /** BigQuery's error body shape, which the client parses for code and reason. */
    private static byte[] error(int code, String reason, String message) {
        String json = "{\"error\":{\"code\":" + code + ",\"message\":\"" + message + "\",\"errors\":[{\"message\":\""
                + message + "\",\"domain\":\"global\",\"reason\":\"" + reason + "\"}],\"status\":\""
                + (code == 404 ? "NOT_FOUND" : "UNAVAILABLE") + "\"}}";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
