package io.agnes.bqmc.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Reads the registry file: a YAML list of rows with the keys of contract section 4. Works on
 * the node tree rather than plain objects so that every rejection can name its line. The whole
 * file is checked before anything is written, so a bad file changes nothing.
 */
public final class RegistryFileParser {

    static final Set<String> KEYS = Set.of("id", "name", "source_type", "bucket", "source_table", "query_mode", "bq_fqn");

    /** Generous for a registry, small enough that a runaway file cannot exhaust memory. */
    static final int MAX_CODE_POINTS = 8 * 1024 * 1024;

    private RegistryFileParser() {
    }

    public static List<RegistryFileRow> parse(String text) throws RegistryFileException {
        Optional<Node> root;
        try {
            root = new Compose(LoadSettings.builder().setCodePointLimit(MAX_CODE_POINTS).build()).composeString(text);
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
        if (root.isEmpty()) {
            // an empty file is far more often a truncated write than an intent to delete every row
            throw new RegistryFileException(1, "the file is empty; write [] to remove every row it registered");
        }
        if (!(root.get() instanceof SequenceNode list)) {
            throw new RegistryFileException(line(root.get()), "expected a list of registry rows");
        }
        List<RegistryFileRow> rows = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (Node item : list.getValue()) {
            RegistryFileRow row = row(item);
            Integer earlier = seen.putIfAbsent(row.id(), row.line());
            if (earlier != null) {
                throw new RegistryFileException(row.line(), "duplicate id '" + row.id() + "' (first on line " + earlier + ")");
            }
            rows.add(row);
        }
        return rows;
    }

    private static RegistryFileRow row(Node item) throws RegistryFileException {
        if (!(item instanceof MappingNode mapping)) {
            throw new RegistryFileException(line(item), "expected a mapping with at least an id");
        }
        Map<String, String> values = new HashMap<>();
        for (NodeTuple tuple : mapping.getValue()) {
            String key = scalar(tuple.getKeyNode(), "a key");
            if (!KEYS.contains(key)) {
                throw new RegistryFileException(line(tuple.getKeyNode()),
                        "unknown key '" + key + "' (allowed: id, name, source_type, bucket, source_table, query_mode, bq_fqn)");
            }
            if (values.containsKey(key)) {
                throw new RegistryFileException(line(tuple.getKeyNode()), "key '" + key + "' given twice");
            }
            values.put(key, value(tuple.getValueNode(), key));
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

    /** A scalar value, or null for YAML null; lists and mappings are rejected. */
    private static String value(Node node, String key) throws RegistryFileException {
        if (node instanceof ScalarNode s && Tag.NULL.equals(s.getTag())) {
            return null;
        }
        return scalar(node, "a plain value for '" + key + "'");
    }

    private static String scalar(Node node, String what) throws RegistryFileException {
        if (node instanceof ScalarNode s) {
            return s.getValue();
        }
        throw new RegistryFileException(line(node), "expected " + what);
    }

    private static int line(Node node) {
        return node.getStartMark().map(Mark::getLine).orElse(0) + 1;
    }
}
