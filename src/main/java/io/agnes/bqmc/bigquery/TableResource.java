package io.agnes.bqmc.bigquery;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * Maps BigQuery's Table resource, as BigQuery sent it, to the cache's vocabulary (contract
 * section 5). The official client still makes the request and judges its status; its model is
 * not read, because it loses what the contract needs: it drops a snapshot's partitioning and
 * clustering, and refuses the whole answer for a table type it does not know yet (or for a
 * field that is a JSON number where BigQuery's wire format has a string).
 */
public final class TableResource {

    static final String INGESTION_TIME_PSEUDO_COLUMN = "_PARTITIONTIME";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

    static {
        // AnswerGuard already bounds size and nesting; the parser's own limits stay as tight
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(AnswerGuard.MAX_NESTING + 1).build());
    }

    private TableResource() {
    }

    /** An answer that is not a Table resource the contract can read: the message names the key. */
    public static final class UnreadableAnswerException extends Exception {
        UnreadableAnswerException(String message) {
            super(message);
        }
    }

    /**
     * @param body        the answer's bytes (a 200)
     * @param contentType the answer's {@code Content-Type}, or null
     * @param target      the table asked for: an answer about another one is refused
     */
    public static TableMetadata map(byte[] body, String contentType, BigQueryTarget target)
            throws UnreadableAnswerException {
        if (contentType != null && !contentType.toLowerCase(Locale.ROOT).contains("json")) {
            throw new UnreadableAnswerException("BigQuery answered 200 with a " + mediaType(contentType)
                    + " body, not a Table resource");
        }
        JsonNode table;
        try {
            table = JSON.readTree(body);
        } catch (IOException e) {
            throw new UnreadableAnswerException("BigQuery's answer is not JSON: " + firstLine(e.getMessage()));
        }
        if (table == null || !table.isObject()) {
            throw new UnreadableAnswerException("BigQuery's answer is not a JSON object");
        }
        checkReference(table.get("tableReference"), target);
        String type = text(table, "type");
        boolean view = "VIEW".equals(type) || "MATERIALIZED_VIEW".equals(type);
        return new TableMetadata(entityType(type, table.hasNonNull("cloneDefinition")),
                view ? null : count(table, "numRows"), view ? null : count(table, "numBytes"),
                partitionBy(table), names(table.path("clustering"), "clustering.fields", "fields", false),
                names(table.path("schema"), "schema.fields", "fields", true));
    }

    /** The contract's words for BigQuery's types; a type it does not name, as INFORMATION_SCHEMA writes types. */
    static String entityType(String type, boolean clone) {
        if (type == null) {
            return null;
        }
        return switch (type) {
            case "TABLE" -> clone ? "CLONE" : "BASE TABLE";
            case "VIEW" -> "VIEW";
            case "MATERIALIZED_VIEW" -> "MATERIALIZED VIEW";
            case "EXTERNAL" -> "EXTERNAL";
            case "SNAPSHOT" -> "SNAPSHOT";
            default -> type.toUpperCase(Locale.ROOT).replace('_', ' ');
        };
    }

    private static void checkReference(JsonNode reference, BigQueryTarget target) throws UnreadableAnswerException {
        String project = reference == null ? null : reference.path("projectId").asText(null);
        String dataset = reference == null ? null : reference.path("datasetId").asText(null);
        String table = reference == null ? null : reference.path("tableId").asText(null);
        if (!target.project().equals(project) || !target.dataset().equals(dataset) || !target.table().equals(table)) {
            throw new UnreadableAnswerException("BigQuery answered about another table ("
                    + (reference == null ? "none named" : project + "." + dataset + "." + table) + ") than " + target
                    + "; not stored");
        }
    }

    private static String partitionBy(JsonNode table) throws UnreadableAnswerException {
        JsonNode time = table.get("timePartitioning");
        JsonNode range = table.get("rangePartitioning");
        String timeField = time == null ? null : text(time, "field", "timePartitioning.field");
        if (timeField != null && !timeField.isEmpty()) {
            return timeField;
        }
        String rangeField = range == null ? null : text(range, "field", "rangePartitioning.field");
        if (rangeField != null && !rangeField.isEmpty()) {
            return rangeField;
        }
        return time != null && time.isObject() ? INGESTION_TIME_PSEUDO_COLUMN : null;
    }

    /** {@code numRows}/{@code numBytes}: int64 as a string on the wire (a number accepted), null when absent. */
    private static Long count(JsonNode table, String key) throws UnreadableAnswerException {
        JsonNode value = table.get(key);
        if (value == null || value.isNull()) {
            return null;
        }
        try {
            BigInteger n = value.isIntegralNumber() ? value.bigIntegerValue()
                    : value.isTextual() ? new BigInteger(value.textValue().strip()) : null;
            if (n != null && n.signum() >= 0 && n.bitLength() <= 63) {
                return n.longValueExact();
            }
        } catch (NumberFormatException | ArithmeticException notACount) {
            // said below
        }
        throw new UnreadableAnswerException("BigQuery's answer has an impossible " + key + " ("
                + abbreviate(value.toString()) + ")");
    }

    /** The {@code name} of each entry of {@code fields}, or each string of it; [] when absent. */
    private static List<String> names(JsonNode parent, String where, String key, boolean objects)
            throws UnreadableAnswerException {
        JsonNode list = parent.get(key);
        if (list == null || list.isNull() || parent.isMissingNode()) {
            return List.of();
        }
        if (!list.isArray()) {
            throw new UnreadableAnswerException("BigQuery's answer has a " + where + " that is not a list");
        }
        List<String> out = new ArrayList<>(list.size());
        for (JsonNode item : list) {
            JsonNode name = objects ? item.get("name") : item;
            if (name == null || !name.isTextual()) {
                throw new UnreadableAnswerException("BigQuery's answer has a " + where + " entry without a name ("
                        + abbreviate(item.toString()) + ")");
            }
            out.add(name.textValue());
        }
        return List.copyOf(out);
    }

    private static String text(JsonNode node, String key) throws UnreadableAnswerException {
        return text(node, key, key);
    }

    private static String text(JsonNode node, String key, String where) throws UnreadableAnswerException {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new UnreadableAnswerException("BigQuery's answer has a " + where + " that is not a string ("
                    + abbreviate(value.toString()) + ")");
        }
        return value.textValue();
    }

    private static String mediaType(String contentType) {
        int semicolon = contentType.indexOf(';');
        return (semicolon >= 0 ? contentType.substring(0, semicolon) : contentType).strip();
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl >= 0 ? s.substring(0, nl) : s;
    }
}
