package io.agnes.bqmc.support;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Real BigQuery REST JSON for WireMock to serve: Table resources (numbers as strings, as the
 * API sends int64) and error bodies with code, reason and status.
 */
public final class BigQueryJson {

    private BigQueryJson() {
    }

    /** The path the client requests for {@code tables.get}. */
    public static String tablePath(String project, String dataset, String table) {
        return "/bigquery/v2/projects/" + project + "/datasets/" + dataset + "/tables/" + table;
    }

    /** A Table resource; {@code extra} is spliced in as further top-level members. */
    public static String table(String project, String dataset, String table, String type, String numRows,
                               String numBytes, List<String> columns, String extra) {
        String fields = columns.stream()
                .map(c -> "{\"name\":\"" + c + "\",\"type\":\"STRING\",\"mode\":\"NULLABLE\"}")
                .collect(Collectors.joining(","));
        StringBuilder json = new StringBuilder()
                .append("{\"kind\":\"bigquery#table\",\"etag\":\"e1\",")
                .append("\"id\":\"").append(project).append(':').append(dataset).append('.').append(table).append("\",")
                .append("\"tableReference\":{\"projectId\":\"").append(project).append("\",\"datasetId\":\"")
                .append(dataset).append("\",\"tableId\":\"").append(table).append("\"},")
                .append("\"schema\":{\"fields\":[").append(fields).append("]},")
                .append("\"type\":\"").append(type).append("\",")
                .append("\"creationTime\":\"1700000000000\",\"location\":\"EU\"");
        if (numRows != null) {
            json.append(",\"numRows\":\"").append(numRows).append('"');
        }
        if (numBytes != null) {
            json.append(",\"numBytes\":\"").append(numBytes).append('"');
        }
        if (extra != null && !extra.isEmpty()) {
            json.append(',').append(extra);
        }
        return json.append('}').toString();
    }

    /** A plain base table with the given counts and columns. */
    public static String baseTable(String project, String dataset, String table, long rows, long bytes, String... columns) {
        return table(project, dataset, table, "TABLE", Long.toString(rows), Long.toString(bytes), List.of(columns), null);
    }

    /** BigQuery's error body, as googleapis return it. */
    public static String error(int code, String reason, String message) {
        String status = switch (code) {
            case 400 -> "INVALID_ARGUMENT";
            case 401 -> "UNAUTHENTICATED";
            case 403 -> "PERMISSION_DENIED";
            case 404 -> "NOT_FOUND";
            case 429 -> "RESOURCE_EXHAUSTED";
            case 503 -> "UNAVAILABLE";
            default -> "INTERNAL";
        };
        String m = message.replace("\\", "\\\\").replace("\"", "\\\"");
        return "{\"error\":{\"code\":" + code + ",\"message\":\"" + m + "\",\"errors\":[{\"message\":\"" + m
                + "\",\"domain\":\"global\",\"reason\":\"" + reason + "\"}],\"status\":\"" + status + "\"}}";
    }
}
