package io.agnes.bqmc.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Real HTTP requests against the running service. */
public final class ApiClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** HTTP/1.1, as curl, the platform scheduler and the CLI speak it. */
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final int port;

    public ApiClient(int port) {
        this.port = port;
        this.base = "http://127.0.0.1:" + port;
    }

    /** An answer: status, the raw body, and the parsed JSON (null when not JSON). */
    public record Answer(int status, String body, JsonNode json, HttpResponse<String> response) {
        public String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }
    }

    public Answer get(String path, String token) {
        return send(request(path, token).GET().build());
    }

    public Answer post(String path, String token) {
        return send(request(path, token).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    public Answer send(String method, String path, String authorization) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return send(b.build());
    }

    /**
     * A request written by hand on a socket, for what well-behaved clients refuse to send
     * (a malformed percent-escape, say). Returns the status and the body.
     */
    public RawAnswer raw(String requestLineAndHeaders) {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write((requestLineAndHeaders + "Connection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            String response = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            int status = Integer.parseInt(response.substring(9, 12));
            int bodyStart = response.indexOf("\r\n\r\n");
            String head = response.substring(0, bodyStart);
            String body = response.substring(bodyStart + 4);
            return new RawAnswer(status, head, body, body.isEmpty() ? null : JSON.readTree(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The answer to {@link #raw}. */
    public record RawAnswer(int status, String head, String body, JsonNode json) {
    }

    /** A request to build on (extra headers): bearer {@code token} when not null. */
    public HttpRequest.Builder requestBuilder(String path, String token) {
        return request(path, token);
    }

    private HttpRequest.Builder request(String path, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    public Answer send(HttpRequest request) {
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            try {
                json = r.body().isEmpty() ? null : JSON.readTree(r.body());
            } catch (IOException notJson) {
                // left null: the assertion on json will say so
            }
            return new Answer(r.statusCode(), r.body(), json, r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
