package io.agnes.bqmc.events;

import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.List;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;

/**
 * What a Pub/Sub push says, read the way Google documents it: the push envelope ({@code message.data},
 * base64 of a Cloud Logging {@code LogEntry}) or the unwrapped body (the {@code LogEntry} itself,
 * the message id in {@code x-goog-pubsub-message-id}); inside, a BigQuery audit entry in the
 * {@code BigQueryAuditMetadata} format. A change names its table in {@code protoPayload.resourceName}
 * ({@code projects/P/datasets/D/tables/T}; a job's in its configuration's {@code destinationTable}).
 * <p>
 * Three answers: a table changed; the message is well formed but announces nothing we act on
 * (ignored, with why: a read, a failed call, a job still running, the older v1 format, an
 * anonymous query-result dataset, a log that is not BigQuery's); or it is not a push at all
 * (malformed, with the kind: Pub/Sub's dead-letter policy should take it).
 */
public final class PushMessages {

    static final String AUDIT_METADATA = "type.googleapis.com/google.cloud.audit.BigQueryAuditMetadata";
    static final List<String> TABLE_EVENTS = List.of("tableCreation", "tableChange", "tableDeletion", "tableDataChange");
    private static final List<String> JOB_CONFIGS = List.of("queryConfig", "loadConfig", "tableCopyConfig");

    private static final ObjectMapper JSON = new ObjectMapper();

    private PushMessages() {
    }

    /** What one push said. */
    public sealed interface Reading permits Changed, Ignored, Malformed {
        String messageId();
    }

    public record Changed(String messageId, TableChange change) implements Reading {
    }

    /** Acknowledged and counted: nothing to do. */
    public record Ignored(String messageId, String reason) implements Reading {
    }

    /** Refused with 400: no redelivery will make it readable. */
    public record Malformed(String messageId, String kind) implements Reading {
    }

    /**
     * @param body            the request body
     * @param headerMessageId {@code x-goog-pubsub-message-id}, for an unwrapped push; null otherwise
     */
    public static Reading read(byte[] body, String headerMessageId) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            return new Malformed(headerMessageId, "body_not_json");
        }
        if (root == null || !root.isObject()) {
            return new Malformed(headerMessageId, "body_not_an_object");
        }
        if (!root.has("message")) {
            // unwrapped: the LogEntry itself
            return entry(root, headerMessageId);
        }
        JsonNode message = root.get("message");
        if (!message.isObject()) {
            return new Malformed(headerMessageId, "message_not_an_object");
        }
        String id = text(message, "messageId");
        if (id == null) {
            id = text(message, "message_id");
        }
        JsonNode data = message.path("data");
        if (data.isMissingNode() || data.isNull()) {
            // a message may carry attributes only
            return new Ignored(id, "no_data");
        }
        if (!data.isTextual()) {
            return new Malformed(id, "data_not_base64");
        }
        byte[] decoded;
        try {
            // standard base64, as Pub/Sub writes it; the URL-safe alphabet and line breaks taken too
            decoded = Base64.getDecoder().decode(data.asText().replaceAll("\\s", "").replace('-', '+').replace('_', '/'));
        } catch (IllegalArgumentException e) {
            return new Malformed(id, "data_not_base64");
        }
        JsonNode entry;
        try {
            entry = JSON.readTree(decoded);
        } catch (JsonParseException e) {
            // a topic shared with other publishers: their messages are theirs, not an error of the push
            return new Ignored(id, "not_a_log_entry");
        } catch (IOException e) {
            return new Ignored(id, "not_a_log_entry");
        }
        if (entry == null || !entry.isObject()) {
            return new Ignored(id, "not_a_log_entry");
        }
        return entry(entry, id);
    }

    /** One Cloud Logging {@code LogEntry}. */
    static Reading entry(JsonNode entry, String id) {
        JsonNode payload = entry.path("protoPayload");
        if (!payload.isObject()) {
            return new Ignored(id, "not_an_audit_entry");
        }
        String service = text(payload, "serviceName");
        if (service != null && !service.equals("bigquery.googleapis.com")) {
            return new Ignored(id, "not_bigquery");
        }
        JsonNode status = payload.path("status");
        if (status.path("code").asInt(0) != 0) {
            return new Ignored(id, "failed_call");
        }
        JsonNode metadata = payload.path("metadata");
        if (!AUDIT_METADATA.equals(metadata.path("@type").asText())) {
            return new Ignored(id, payload.has("serviceData") ? "v1_format" : "no_audit_metadata");
        }
        Instant changedAt = timestamp(entry);
        for (String event : TABLE_EVENTS) {
            if (metadata.has(event)) {
                String table = tableOf(text(payload, "resourceName"));
                if (table == null) {
                    // tableCreation and tableChange also carry the table's own name
                    table = tableOf(text(metadata.path(event).path("table"), "tableName"));
                }
                return table == null ? new Ignored(id, "no_table") : changed(id, table, event, changedAt);
            }
        }
        if (metadata.has("jobChange")) {
            return job(id, metadata.path("jobChange"), changedAt);
        }
        if (metadata.has("tableDataRead")) {
            return new Ignored(id, "read");
        }
        if (metadata.has("jobInsertion")) {
            return new Ignored(id, "job_not_done");
        }
        return new Ignored(id, "not_a_table_change");
    }

    /** A finished job that wrote a table: a DML statement, a load, a copy, a query with a destination. */
    private static Reading job(String id, JsonNode jobChange, Instant changedAt) {
        JsonNode job = jobChange.path("job");
        if (!"DONE".equals(jobChange.path("after").asText()) || !"DONE".equals(job.path("jobStatus").path("jobState").asText())) {
            return new Ignored(id, "job_not_done");
        }
        if (!job.path("jobStatus").path("errorResult").isMissingNode()) {
            return new Ignored(id, "failed_call");
        }
        JsonNode config = job.path("jobConfig");
        for (String kind : JOB_CONFIGS) {
            String destination = text(config.path(kind), "destinationTable");
            if (destination != null) {
                String table = tableOf(destination);
                return table == null ? new Ignored(id, "no_table") : changed(id, table, "jobChange", changedAt);
            }
        }
        return new Ignored(id, "job_without_destination");
    }

    private static Reading changed(String id, String resource, String event, Instant changedAt) {
        String[] parts = resource.split("/", -1);
        if (parts[3].startsWith("_")) {
            // the anonymous datasets of query results: never a registered table
            return new Ignored(id, "anonymous_dataset");
        }
        return new Changed(id, new TableChange(parts[1], parts[3], parts[5], event, changedAt));
    }

    /**
     * {@code projects/P/datasets/D/tables/T}, split on "/" into exactly six segments, the table's
     * partition or snapshot decorator dropped (the lookup is of the table); null for anything else.
     */
    static String tableOf(String resourceName) {
        if (resourceName == null) {
            return null;
        }
        String[] parts = resourceName.split("/", -1);
        if (parts.length != 6 || !parts[0].equals("projects") || !parts[2].equals("datasets") || !parts[4].equals("tables")) {
            return null;
        }
        String table = parts[5];
        int decorator = firstOf(table, '$', '@');
        if (decorator >= 0) {
            table = table.substring(0, decorator);
        }
        if (parts[1].isEmpty() || parts[3].isEmpty() || table.isEmpty()) {
            return null;
        }
        return "projects/" + parts[1] + "/datasets/" + parts[3] + "/tables/" + table;
    }

    private static int firstOf(String s, char a, char b) {
        int i = s.indexOf(a);
        int j = s.indexOf(b);
        return i < 0 ? j : j < 0 ? i : Math.min(i, j);
    }

    /** When BigQuery made the change; null when the entry does not say. */
    private static Instant timestamp(JsonNode entry) {
        String ts = text(entry, "timestamp");
        if (ts == null) {
            return null;
        }
        try {
            return Instant.parse(ts);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node == null ? MissingNode.getInstance() : node.path(field);
        return value.isTextual() ? value.asText() : null;
    }
}
