package io.agnes.bqmc.auth;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bearer tokens of {@code AGNES_TOKENS_FILE} (contract section 6): one line per token,
 * {@code <sha256-hex> <admin|analyst> <user> [expires=<ISO-8601 instant>]}, {@code #} comments.
 * The file is re-read whenever its identity, modification time or size changes, so adding or
 * revoking a token needs no restart.
 * <p>
 * Revocation must never fail open: each line is read on its own, so a line that is not UTF-8
 * (a Latin-1 comment, say) or not a token line is skipped with one WARN naming its number, never
 * its content, while every other line, and every removal, takes effect. A file that cannot be
 * read at all, or is missing, refuses every token until it can be read again.
 */
public class TokenFile {

    private static final Logger LOG = LoggerFactory.getLogger(TokenFile.class);
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    /** A file that could not be read is tried again after this long, not on every request. */
    private static final long RETRY_UNREADABLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** One line of the file. */
    public record Entry(String user, Role role, Instant expires) {
    }

    /**
     * What the file held at one version of it.
     *
     * @param problem why no token is accepted (file missing or unreadable), or null
     * @param readAt  {@link System#nanoTime()} of the reading
     */
    private record Snapshot(Object fileKey, long modified, long size, Map<String, Entry> byHash, String problem,
                            long readAt) {
    }

    private final Path file;
    private volatile Snapshot snapshot = new Snapshot(null, -1, -1, Map.of(), null, 0);

    public TokenFile(Path file) {
        this.file = file;
    }

    public Path path() {
        return file;
    }

    /** Says at start what a request will meet: a missing or unreadable file refuses every token. */
    public void checkAtStart() {
        current();
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
            return refuseAll(s, null, "does not exist (create tokens with 'java -jar bq-metadata-cache.jar tokens create"
                    + " --file " + file + "')");
        } catch (IOException e) {
            return refuseAll(s, null, "cannot be read (" + e.getMessage() + ")");
        }
        // never opened unless it is a regular file of a sane size: opening a pipe blocks until a
        // writer comes, and /dev/zero or a huge file never ends
        if (!attributes.isRegularFile()) {
            return refuseAll(s, attributes, "is not a regular file (a pipe, a device or a directory, or a link to"
                    + " one); only a regular file is read");
        }
        if (attributes.size() > MAX_BYTES) {
            return refuseAll(s, attributes, "is larger than " + MAX_BYTES / 1024 + " KiB, more than any tokens file;"
                    + " not read");
        }
        long modified = attributes.lastModifiedTime().toMillis();
        boolean sameVersion = modified == s.modified() && attributes.size() == s.size()
                && java.util.Objects.equals(attributes.fileKey(), s.fileKey());
        if (sameVersion && (s.problem() == null || System.nanoTime() - s.readAt() < RETRY_UNREADABLE_NANOS)) {
            return s;
        }
        // one reader at a time, and no lock held while it reads: the others go on with what was
        // read last; a read stuck for long (a file swapped for a pipe between the look and the
        // open) is given up on rather than waited for
        long now = System.nanoTime();
        long started = readingSince.get();
        if (started != 0 && now - started < STUCK_READ_NANOS || !readingSince.compareAndSet(started, now)) {
            return s;
        }
        try {
            byte[] bytes;
            try {
                bytes = readBounded();
            } catch (IOException e) {
                return refuseAll(s, attributes, "cannot be read (" + e.getMessage() + ")");
            }
            synchronized (this) {
                if (snapshot != s) {
                    return snapshot;
                }
                if (s.problem() != null) {
                    LOG.info("tokens file {} can be read again", file);
                }
                snapshot = new Snapshot(attributes.fileKey(), modified, attributes.size(), parse(lines(bytes)), null,
                        System.nanoTime());
                return snapshot;
            }
        } finally {
            readingSince.compareAndSet(now, 0);
        }
    }

    /** At most {@link #MAX_BYTES}: a file that grew past it since the look is refused, not read on. */
    private byte[] readBounded() throws IOException {
        // links are followed (a Kubernetes Secret's file is one); what they lead to was checked above
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                throw new IOException("it is larger than " + MAX_BYTES / 1024 + " KiB");
            }
            return bytes;
        }
    }

    /** Far more than any tokens file (a line is about 100 bytes): 10,000 tokens fit. */
    static final int MAX_BYTES = 1024 * 1024;

    private static final long STUCK_READ_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final java.util.concurrent.atomic.AtomicLong readingSince = new java.util.concurrent.atomic.AtomicLong();

    /** No token is accepted; said once per cause, not once per request. */
    private synchronized Snapshot refuseAll(Snapshot s, BasicFileAttributes attributes, String problem) {
        if (snapshot != s) {
            return snapshot;
        }
        if (!problem.equals(s.problem())) {
            LOG.warn("tokens file {} {}: every token is refused until it can be read", file, problem);
        }
        snapshot = attributes == null
                ? new Snapshot(null, -1, -1, Map.of(), problem, System.nanoTime())
                : new Snapshot(attributes.fileKey(), attributes.lastModifiedTime().toMillis(), attributes.size(),
                        Map.of(), problem, System.nanoTime());
        return snapshot;
    }

    /** Each line decoded on its own: null for one that is not UTF-8, so only that line is lost. */
    static List<String> lines(byte[] bytes) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == '\n') {
                int end = i > start && bytes[i - 1] == '\r' ? i - 1 : i;
                if (i < bytes.length || end > start) {
                    lines.add(decode(bytes, start, end - start));
                }
                start = i + 1;
            }
        }
        return lines;
    }

    private static String decode(byte[] bytes, int offset, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, offset, length))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    Map<String, Entry> parse(List<String> lines) {
        Map<String, Entry> byHash = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line == null) {
                LOG.warn("tokens file {} line {}: not UTF-8 text; line ignored", file, i + 1);
                continue;
            }
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
