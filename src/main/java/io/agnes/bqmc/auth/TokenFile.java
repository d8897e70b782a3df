package io.agnes.bqmc.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bearer tokens of {@code AGNES_TOKENS_FILE} (contract section 6): one line per token,
 * {@code <sha256-hex> <admin|analyst> <user> [expires=<ISO-8601 instant>]}, {@code #} comments.
 * The file is re-read whenever its modification time or size changes, so adding or revoking a
 * token needs no restart. A bad line is skipped with a WARN naming its number, never its content.
 */
public class TokenFile {

    private static final Logger LOG = LoggerFactory.getLogger(TokenFile.class);
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    /** One line of the file. */
    public record Entry(String user, Role role, Instant expires) {
    }

    private record Snapshot(Object fileKey, long modified, long size, Map<String, Entry> byHash) {
    }

    private final Path file;
    private volatile Snapshot snapshot = new Snapshot(null, -1, -1, Map.of());

    public TokenFile(Path file) {
        this.file = file;
    }

    public Path path() {
        return file;
    }

    /** The entry for a token's SHA-256 hex digest, or null. */
    public Entry find(String sha256Hex) {
        return current().byHash().get(sha256Hex);
    }

    private Snapshot current() {
        Snapshot s = snapshot;
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return s.byHash().isEmpty() ? s : reset();
        } catch (IOException e) {
            LOG.warn("cannot read tokens file {}: {}", file, e.getMessage());
            return s;
        }
        long modified = attributes.lastModifiedTime().toMillis();
        if (modified == s.modified() && attributes.size() == s.size()
                && java.util.Objects.equals(attributes.fileKey(), s.fileKey())) {
            return s;
        }
        synchronized (this) {
            if (snapshot != s) {
                return snapshot;
            }
            try {
                Snapshot fresh = new Snapshot(attributes.fileKey(), modified, attributes.size(),
                        parse(Files.readAllLines(file, StandardCharsets.UTF_8)));
                snapshot = fresh;
                return fresh;
            } catch (IOException e) {
                LOG.warn("cannot read tokens file {}: {}", file, e.getMessage());
                return s;
            }
        }
    }

    private synchronized Snapshot reset() {
        snapshot = new Snapshot(null, -1, -1, Map.of());
        return snapshot;
    }

    Map<String, Entry> parse(List<String> lines) {
        Map<String, Entry> byHash = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int comment = line.indexOf('#');
            String content = (comment >= 0 ? line.substring(0, comment) : line).strip();
            if (content.isEmpty()) {
                continue;
            }
            String[] fields = content.split("\\s+");
            Entry entry = entry(fields);
            if (entry == null) {
                LOG.warn("tokens file {} line {}: expected '<sha256-hex> <admin|analyst> <user> [expires=<instant>]';"
                        + " line ignored", file, i + 1);
                continue;
            }
            byHash.put(fields[0].toLowerCase(Locale.ROOT), entry);
        }
        return Map.copyOf(byHash);
    }

    private static Entry entry(String[] fields) {
        if (fields.length < 3 || fields.length > 4 || !SHA256_HEX.matcher(fields[0].toLowerCase(Locale.ROOT)).matches()) {
            return null;
        }
        Role role = Role.parse(fields[1]);
        if (role == null) {
            return null;
        }
        Instant expires = null;
        if (fields.length == 4) {
            if (!fields[3].startsWith("expires=")) {
                return null;
            }
            try {
                expires = Instant.parse(fields[3].substring("expires=".length()));
            } catch (DateTimeParseException e) {
                return null;
            }
        }
        return new Entry(fields[2], role, expires);
    }
}
