package io.agnes.bqmc.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;

/** The service's run events (Server-Sent Events), read on a thread of their own and handed on one at a time. */
final class EventStream implements AutoCloseable {

    static final String PATH = "/api/v2/metadata-cache/runs/current/events";

    /** One event: its name and its data. */
    record Event(String name, JsonNode data) {
    }

    private final HttpURLConnection connection;
    private final InputStream body;
    private volatile boolean closed;

    private EventStream(HttpURLConnection connection, Consumer<Event> events) throws IOException {
        this.connection = connection;
        this.body = connection.getInputStream();
        // read on a pool thread (a daemon): the command's own thread waits for the run's outcome
        CompletableFuture.runAsync(() -> read(events));
    }

    /**
     * Opens the stream; returns null when the server offers none (an older version: 404), and
     * throws with the status for any other refusal.
     */
    static EventStream open(String server, String token, Consumer<Event> events) throws IOException {
        HttpURLConnection c = HttpCall.open("GET", URI.create(server + PATH), token, 0, "text/event-stream");
        int status = c.getResponseCode();
        if (status == 200) {
            return new EventStream(c, events);
        }
        c.disconnect();
        if (status == 404) {
            return null;
        }
        throw new IOException("the progress stream answered HTTP " + status);
    }

    private void read(Consumer<Event> events) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String name = null;
            StringBuilder data = new StringBuilder();
            for (String line = in.readLine(); line != null && !closed; line = in.readLine()) {
                if (line.isEmpty()) {
                    if (name != null && data.length() > 0) {
                        try {
                            events.accept(new Event(name, Json.mapper().readTree(data.toString())));
                        } catch (IOException notJson) {
                            // an event this version cannot read: skipped
                        }
                    }
                    name = null;
                    data.setLength(0);
                } else if (line.startsWith("event:")) {
                    name = line.substring(6).strip();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(5).strip());
                }
            }
        } catch (IOException ended) {
            // the stream ended, or the server went away
        } finally {
            connection.disconnect();
        }
    }

    /**
     * Stops handing events on, at once; the reader lets the connection go at its next line (the
     * server writes one at least every 15 s). Dropping it from here would wait for the reader's
     * lock, and closing the stream would first read it to an end that never comes.
     */
    @Override
    public void close() {
        closed = true;
    }
}
