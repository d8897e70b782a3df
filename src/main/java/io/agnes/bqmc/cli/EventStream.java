package io.agnes.bqmc.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The service's run events (Server-Sent Events), read on a thread of their own and handed on one at a time. */
final class EventStream implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String PATH = "/api/v2/metadata-cache/runs/current/events";

    /** One event: its name and its data. */
    record Event(String name, JsonNode data) {
    }

    private final InputStream body;
    private final Thread reader;

    private EventStream(InputStream body, Consumer<Event> events) {
        this.body = body;
        this.reader = new Thread(() -> read(events), "bqmc-run-events");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Opens the stream; returns null when the server offers none (an older version: 404), and
     * throws with the status for any other refusal.
     */
    static EventStream open(HttpClient http, String server, String token, Consumer<Event> events)
            throws IOException, InterruptedException {
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(URI.create(server + PATH))
                .header("Authorization", "Bearer " + token).header("Accept", "text/event-stream").GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() == 200) {
            return new EventStream(response.body(), events);
        }
        response.body().close();
        if (response.statusCode() == 404) {
            return null;
        }
        throw new IOException("the progress stream answered HTTP " + response.statusCode());
    }

    private void read(Consumer<Event> events) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String name = null;
            StringBuilder data = new StringBuilder();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.isEmpty()) {
                    if (name != null && data.length() > 0) {
                        try {
                            events.accept(new Event(name, JSON.readTree(data.toString())));
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
        } catch (IOException closed) {
            // the stream ended, or was closed
        }
    }

    @Override
    public void close() throws IOException {
        body.close();
    }
}
