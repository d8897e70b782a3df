package io.agnes.bqmc.auth;

import java.io.IOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;

/**
 * Mints a bearer token and appends its line to the tokens file. Only the SHA-256 digest is
 * written; the caller shows the returned token to its owner once.
 */
public final class TokenIssuer {

    /** 32 random bytes: 256 bits of entropy. */
    static final int TOKEN_BYTES = 32;
    static final String PREFIX = "bqmc_";

    private static final SecureRandom RANDOM = new SecureRandom();

    private TokenIssuer() {
    }

    /** @param expires null for a token that never expires */
    public static String issue(Path file, String user, Role role, Instant expires) throws IOException {
        byte[] random = new byte[TOKEN_BYTES];
        RANDOM.nextBytes(random);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        String line = TokenHashes.sha256Hex(token) + " " + role.wire() + " " + user
                + (expires == null ? "" : " expires=" + expires)
                + "  # created " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + "\n";
        append(file, line);
        return token;
    }

    /** Appends one line; a new file is created readable by its owner only. */
    static void append(Path target, String line) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try {
            Files.createFile(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException ignored) {
            // appending to an existing file keeps its permissions
        } catch (UnsupportedOperationException e) {
            Files.createFile(target);
        }
        String prefix = endsWithoutNewline(target) ? "\n" : "";
        try (Writer w = Files.newBufferedWriter(target, StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
            w.write(prefix + line);
        }
    }

    private static boolean endsWithoutNewline(Path target) throws IOException {
        long size = Files.size(target);
        if (size == 0) {
            return false;
        }
        try (SeekableByteChannel channel = Files.newByteChannel(target)) {
            channel.position(size - 1);
            ByteBuffer last = ByteBuffer.allocate(1);
            channel.read(last);
            return last.get(0) != '\n';
        }
    }
}
