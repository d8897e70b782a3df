package io.agnes.bqmc.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The real BigQuery audit entries and Pub/Sub pushes in {@code ../shared/auditevents/}, and push
 * envelopes made around them as a Log Router sink's topic delivers them.
 */
public final class AuditEvents {

    public static final Path CORPUS = Path.of("..", "shared", "auditevents");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A real {@code tableDataChange} entry, read once: benchmarks make thousands from it. */
    private static final ObjectNode DATA_CHANGE = (ObjectNode) read("reconstructed_tabledatachange_load_job.json");

    private AuditEvents() {
    }

    public static JsonNode manifest() {
        return read("manifest.json");
    }

    /** Each file the manifest describes, with its entry. */
    public static Map<String, JsonNode> files() {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        manifest().get("files").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    public static JsonNode read(String file) {
        try {
            return JSON.readTree(Files.readAllBytes(CORPUS.resolve(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A push envelope, as a push subscription wraps a message whose data is this LogEntry. */
    public static String envelope(JsonNode logEntry, String messageId) {
        ObjectNode message = JSON.createObjectNode();
        message.putObject("attributes").put("logging.googleapis.com/timestamp", logEntry.path("timestamp").asText());
        try {
            message.put("data", Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(logEntry)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        message.put("messageId", messageId);
        message.put("publishTime", Instant.now().toString());
        ObjectNode push = JSON.createObjectNode();
        push.set("message", message);
        push.put("subscription", "projects/agnes-test/subscriptions/bq-metadata-cache-events");
        return push.toString();
    }

    /**
     * A BigQuery audit entry for a change to {@code project.dataset.table}, as the activity log
     * writes a {@code tableDataChange}, at {@code changedAt}.
     */
    public static JsonNode dataChange(String project, String dataset, String table, Instant changedAt) {
        ObjectNode entry = DATA_CHANGE.deepCopy();
        ((ObjectNode) entry.get("protoPayload")).put("resourceName",
                "projects/" + project + "/datasets/" + dataset + "/tables/" + table);
        entry.put("timestamp", changedAt.toString());
        return entry;
    }
}
