package io.agnes.bqmc.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import io.agnes.bqmc.support.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Revocation never fails open: a line that is not UTF-8 costs only that line, a file that cannot
 * be read refuses every token, and each problem is said once, by line number, never by content.
 */
class TokenFileTest {

    @TempDir
    Path dir;

    @Test
    void aLineThatIsNotUtf8CostsOnlyThatLineAndARevocationInTheSameEditHolds() throws Exception {
        Path file = dir.resolve("tokens");
        String keep = TokenIssuer.issue(file, "ana@example.com", Role.ADMIN, null);
        String revoke = TokenIssuer.issue(file, "bo@example.com", Role.ANALYST, null);
        TokenFile tokens = new TokenFile(file);
        assertThat(tokens.find(TokenHashes.sha256Hex(revoke))).isNotNull();

        try (LogCapture logs = LogCapture.open()) {
            // one edit: a Latin-1 comment ("Müller", 0xFC) and the revoked line gone
            String kept = Files.readAllLines(file).stream().filter(l -> !l.startsWith(TokenHashes.sha256Hex(revoke)))
                    .reduce("", (a, b) -> a + b + "\n");
            ByteArrayOutputStream edit = new ByteArrayOutputStream();
            edit.write("# owner: M".getBytes(StandardCharsets.US_ASCII));
            edit.write(0xFC);
            edit.write("ller\r\n".getBytes(StandardCharsets.US_ASCII));
            edit.write(kept.getBytes(StandardCharsets.UTF_8));
            replace(file, edit.toByteArray());

            assertThat(tokens.find(TokenHashes.sha256Hex(revoke))).as("revoked").isNull();
            assertThat(tokens.find(TokenHashes.sha256Hex(keep))).isNotNull();
            assertThat(tokens.find(TokenHashes.sha256Hex(keep))).isNotNull();
            assertThat(logs.linesContaining("line 1: not UTF-8 text; line ignored")).hasSize(1);
            assertThat(logs.lines()).noneMatch(l -> l.contains("ller"));
        }
        // and a service that starts on that file honours the lines it can read
        assertThat(new TokenFile(file).find(TokenHashes.sha256Hex(keep))).isNotNull();
    }

    @Test
    void aFileThatCannotBeReadRefusesEveryTokenAndSaysSoOnce() throws Exception {
        Path file = dir.resolve("tokens");
        String token = TokenIssuer.issue(file, "ana@example.com", Role.ADMIN, null);
        TokenFile tokens = new TokenFile(file);
        assertThat(tokens.find(TokenHashes.sha256Hex(token))).isNotNull();
        byte[] content = Files.readAllBytes(file);

        try (LogCapture logs = LogCapture.open()) {
            // a directory where the file was: its attributes read, its content does not (root reads any file)
            Files.delete(file);
            Files.createDirectory(file);
            for (int i = 0; i < 50; i++) {
                assertThat(tokens.find(TokenHashes.sha256Hex(token))).isNull();
            }
            assertThat(logs.linesContaining("every token is refused until it can be read")).hasSize(1);

            Files.delete(file);
            for (int i = 0; i < 50; i++) {
                assertThat(tokens.find(TokenHashes.sha256Hex(token))).isNull();
            }
            assertThat(logs.linesContaining("does not exist")).hasSize(1);

            Files.write(file, content);
            assertThat(tokens.find(TokenHashes.sha256Hex(token))).isNotNull();
        }
    }

    @Test
    void aMissingFileIsSaidAtStart() {
        try (LogCapture logs = LogCapture.open()) {
            new TokenFile(dir.resolve("nope")).checkAtStart();
            assertThat(logs.linesContaining("does not exist (create tokens with")).hasSize(1)
                    .allSatisfy(l -> assertThat(l).startsWith("WARN"));
        }
    }

    /** As editors and config managers write: a new file moved over the old one. */
    static void replace(Path file, byte[] content) throws Exception {
        Path next = file.resolveSibling(file.getFileName() + ".new");
        Files.write(next, content);
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Issue 23, finding 8: the file swapped for a pipe wedged every authenticated request (a reader
     * blocked in open() inside a lock), and a link to /dev/zero or a 1 GB file made every request a
     * 500 OutOfMemoryError. Anything but a regular file of bounded size refuses every token, said
     * once, without being opened; the good file back is read again.
     */
    @Test
    void aPipeADeviceOrAHugeFileIsNeverOpenedAndTheGoodFileIsReadAgain() throws Exception {
        Path file = dir.resolve("tokens");
        String token = TokenIssuer.issue(file, "ana@example.com", Role.ADMIN, null);
        byte[] good = Files.readAllBytes(file);
        TokenFile tokens = new TokenFile(file);
        assertThat(tokens.find(TokenHashes.sha256Hex(token))).isNotNull();

        try (LogCapture logs = LogCapture.open()) {
            Files.delete(file);
            new ProcessBuilder("mkfifo", file.toString()).start().waitFor();
            assertThat(Files.isRegularFile(file)).isFalse();
            assertThat(tokens.find(TokenHashes.sha256Hex(token))).as("a pipe").isNull();
            assertThat(tokens.find(TokenHashes.sha256Hex(token))).isNull();
            assertThat(logs.linesContaining("is not a regular file")).hasSize(1);

            Files.delete(file);
            Files.createSymbolicLink(file, Path.of("/dev/zero"));
            assertThat(tokens.find(TokenHashes.sha256Hex(token))).as("a link to /dev/zero").isNull();

            Files.delete(file);
            try (var huge = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE)) {
                // a sparse gigabyte: no disk used, its size all that counts
                huge.write(java.nio.ByteBuffer.wrap(new byte[] {'\n'}), 1L << 30);
            }
            assertThat(tokens.find(TokenHashes.sha256Hex(token))).as("a 1 GB file").isNull();
            assertThat(logs.linesContaining("is larger than")).hasSize(1);

            Files.delete(file);
            replace(file, good);
            assertThat(tokens.find(TokenHashes.sha256Hex(token))).as("the good file back").isNotNull();
        }
    }
}
