package io.agnes.bqmc.cli;

import java.time.DateTimeException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import io.agnes.bqmc.cache.Freshness;
import io.agnes.bqmc.support.LogText;

/**
 * The status document as the command shows it, read leniently: the server may be older or newer
 * than this command, or answer with a field missing or null, and none of that may crash it.
 * Every text is made printable here, once, before it can reach a terminal.
 */
record StatusView(Long intervalSeconds, Long freshSeconds, OffsetDateTime serverTime, LastRun lastRun,
        List<Table> tables) {

    /** The newest finished run, as one line. */
    record LastRun(String runId, String trigger, OffsetDateTime finishedAt, Long total, Long succeeded, Long noData,
            Long failed, Long durationMs) {
    }

    /** One table; {@code freshness} is null when the server sent none this command knows. */
    record Table(String tableId, Freshness freshness, String freshnessText, Long rows, Long sizeBytes,
            OffsetDateTime refreshedAt, String error) {
    }

    /** @throws IllegalArgumentException when the document has no table list at all */
    static StatusView of(JsonNode body) {
        if (body == null || !body.path("tables").isArray()) {
            throw new IllegalArgumentException("it has no \"tables\" list");
        }
        List<Table> tables = new ArrayList<>();
        for (JsonNode t : body.get("tables")) {
            String freshness = text(t, "freshness");
            tables.add(new Table(text(t, "table_id"), Freshness.fromWire(freshness), freshness, number(t, "rows"),
                    number(t, "size_bytes"), time(t, "refreshed_at"), text(t, "error_msg")));
        }
        LastRun last = null;
        JsonNode runs = body.path("last_runs");
        if (runs.isArray() && !runs.isEmpty()) {
            JsonNode r = runs.get(0);
            // who started it, where the server says (since 1.2): "api by ana@example.com", "timer"
            String by = text(r, "triggered_by");
            String caller = text(r, "caller");
            String trigger = by == null ? text(r, "trigger") : caller == null ? by : by + " by " + caller;
            last = new LastRun(text(r, "run_id"), trigger, time(r, "finished_at"), number(r, "total"),
                    number(r, "succeeded"), number(r, "no_data"), number(r, "failed"), number(r, "duration_ms"));
        }
        return new StatusView(number(body, "scheduler_interval_seconds"), number(body, "fresh_threshold_seconds"),
                time(body, "server_time"), last, tables);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() || value.isContainerNode() ? null : LogText.printable(value.asText());
    }

    private static Long number(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.canConvertToLong() ? value.asLong() : null;
    }

    private static OffsetDateTime time(JsonNode node, String field) {
        String text = text(node, field);
        try {
            return text == null ? null : OffsetDateTime.parse(text);
        } catch (DateTimeException e) {
            return null;
        }
    }
}
