package io.agnes.bqmc.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.agnes.bqmc.support.LogText;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.NodeEvent;
import org.snakeyaml.engine.v2.events.ScalarEvent;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * Reads the registry file: a YAML list of rows with the keys of contract section 4. Works on
 * YAML's event stream, row by row, rather than on a document tree: memory stays in proportion to
 * the rows (100,000 of them in seconds), nesting is refused where it starts (a 100,000-deep
 * document overflowed the stack of the tree builder), and every rejection names its line. The
 * whole file is checked before anything is written, so a bad file changes nothing.
 */
public final class RegistryFileParser {

    static final Set<String> KEYS = Set.of("id", "name", "source_type", "bucket", "source_table", "query_mode", "bq_fqn");

    /** Generous for a registry (100,000 rows are some 15 MB), small enough that a runaway file cannot exhaust memory. */
    static final int MAX_CODE_POINTS = 64 * 1024 * 1024;

    private RegistryFileParser() {
    }

    public static List<RegistryFileRow> parse(String text) throws RegistryFileException {
        Iterator<Event> events = new Parse(LoadSettings.builder().setCodePointLimit(MAX_CODE_POINTS)
                .setAllowDuplicateKeys(true).build()).parseString(text).iterator();
        try {
            return rows(events);
        } catch (MarkedYamlEngineException e) {
            // name where the broken construct starts; the parser often notices only lines later
            Optional<Integer> problemLine = e.getProblemMark().map(m -> m.getLine() + 1);
            int line = e.getContextMark().map(m -> m.getLine() + 1).or(() -> problemLine).orElse(1);
            String context = e.getContext() == null ? "" : e.getContext() + ": ";
            String where = problemLine.filter(p -> p != line).map(p -> " (noticed on line " + p + ")").orElse("");
            throw new RegistryFileException(line, "not valid YAML: " + context + e.getProblem() + where);
        } catch (YamlEngineException e) {
            throw new RegistryFileException(1, "not valid YAML: " + e.getMessage());
        }
    }

    private static List<RegistryFileRow> rows(Iterator<Event> events) throws RegistryFileException {
        expect(events, Event.ID.StreamStart, "the start of the file");
        Event first = next(events, "a list of registry rows");
        if (first.getEventId() == Event.ID.StreamEnd) {
            // an empty file is far more often a truncated write than an intent to delete every row
            throw new RegistryFileException("the file is empty; write [] to remove every row it registered");
        }
        Event list = next(events, "a list of registry rows");
        if (list.getEventId() != Event.ID.SequenceStart) {
            throw new RegistryFileException(line(list), "expected a list of registry rows");
        }
        List<RegistryFileRow> rows = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (Event item = next(events, "a row or the end of the list"); item.getEventId() != Event.ID.SequenceEnd;
             item = next(events, "a row or the end of the list")) {
            RegistryFileRow row = row(item, events);
            Integer earlier = seen.putIfAbsent(row.id(), row.line());
            if (earlier != null) {
                throw new RegistryFileException(row.line(), "duplicate id '" + row.id() + "' (first on line " + earlier + ")");
            }
            rows.add(row);
        }
        expect(events, Event.ID.DocumentEnd, "the end of the list");
        Event end = next(events, "the end of the file");
        if (end.getEventId() != Event.ID.StreamEnd) {
            throw new RegistryFileException(line(end), "one list of rows per file: a second YAML document follows");
        }
        return rows;
    }

    private static RegistryFileRow row(Event item, Iterator<Event> events) throws RegistryFileException {
        if (item.getEventId() != Event.ID.MappingStart) {
            throw new RegistryFileException(line(item), "expected a mapping with at least an id");
        }
        noAnchor(item);
        Map<String, String> values = new HashMap<>();
        for (Event key = next(events, "a key"); key.getEventId() != Event.ID.MappingEnd; key = next(events, "a key")) {
            if (!(key instanceof ScalarEvent k)) {
                throw new RegistryFileException(line(key), "expected a key");
            }
            if (!KEYS.contains(k.getValue())) {
                throw new RegistryFileException(line(key), "unknown key '" + LogText.safe(k.getValue())
                        + "' (allowed: id, name, source_type, bucket, source_table, query_mode, bq_fqn)");
            }
            if (values.containsKey(k.getValue())) {
                throw new RegistryFileException(line(key), "key '" + k.getValue() + "' given twice");
            }
            Event value = next(events, "a value for '" + k.getValue() + "'");
            if (!(value instanceof ScalarEvent v)) {
                throw new RegistryFileException(line(value), "expected a plain value for '" + k.getValue() + "'");
            }
            noAnchor(value);
            values.put(k.getValue(), isNull(v) ? null : v.getValue());
        }
        String id = values.get("id");
        if (id == null || id.isBlank()) {
            throw new RegistryFileException(line(item), "a row needs a non-empty id");
        }
        if (id.length() > 1024 || id.chars().anyMatch(Character::isISOControl)) {
            throw new RegistryFileException(line(item), "id must be at most 1024 characters with no control characters");
        }
        String name = values.get("name");
        return new RegistryFileRow(line(item), id, name == null || name.isBlank() ? id : name,
                values.get("source_type"), values.get("bucket"), values.get("source_table"),
                values.getOrDefault("query_mode", "local"), values.get("bq_fqn"));
    }

    /** YAML's null as a plain scalar: {@code null}, {@code ~}, or nothing. */
    private static boolean isNull(ScalarEvent v) {
        return v.isPlain() && v.getTag().isEmpty() && NULLS.contains(v.getValue());
    }

    private static final Set<String> NULLS = Set.of("", "~", "null", "Null", "NULL");

    /** Anchors and aliases have no place in a list of rows; refused rather than expanded. */
    private static void noAnchor(Event event) throws RegistryFileException {
        if (event instanceof NodeEvent node && node.getAnchor().isPresent()) {
            throw new RegistryFileException(line(event), "anchors and aliases are not accepted in the registry file");
        }
    }

    private static Event next(Iterator<Event> events, String what) throws RegistryFileException {
        if (!events.hasNext()) {
            throw new RegistryFileException("the file ends where " + what + " was expected");
        }
        Event event = events.next();
        if (event.getEventId() == Event.ID.Alias) {
            throw new RegistryFileException(line(event), "anchors and aliases are not accepted in the registry file");
        }
        return event;
    }

    private static void expect(Iterator<Event> events, Event.ID id, String what) throws RegistryFileException {
        Event event = next(events, what);
        if (event.getEventId() != id) {
            throw new RegistryFileException(line(event), "expected " + what);
        }
    }

    private static int line(Event event) {
        return event.getStartMark().map(Mark::getLine).orElse(0) + 1;
    }
}
