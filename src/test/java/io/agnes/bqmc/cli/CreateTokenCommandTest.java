package io.agnes.bqmc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.BqMetadataCacheApplication;
import io.agnes.bqmc.auth.TokenHashes;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tokens create}: a working token, printed once, stored only as its hash. */
class CreateTokenCommandTest {

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new BqMetadataCacheApplication());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void createdTokensWorkAgainstTheRunningService() throws Exception {
        Path tokens = dir.resolve("tokens");
        WireMockServer bigQuery = WireMocks.startBigQuery();
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        try (TestService service = TestService.start(env)) {
            Run admin = run("tokens", "create", "--user", "ana@example.com", "--role", "admin", "--file", tokens.toString());
            Run analyst = run("tokens", "create", "--user", "bo@example.com", "--role", "analyst", "--expires-in", "90d",
                    "--file", tokens.toString());
            assertThat(admin.exit()).isZero();
            String adminToken = admin.out().strip();
            String analystToken = analyst.out().strip();
            assertThat(adminToken).matches("bqmc_[A-Za-z0-9_-]{43}");
            assertThat(admin.err()).contains("ana@example.com").doesNotContain(adminToken);

            List<String> lines = Files.readAllLines(tokens);
            assertThat(lines).hasSize(2);
            assertThat(lines.get(0)).startsWith(TokenHashes.sha256Hex(adminToken) + " admin ana@example.com");
            assertThat(lines.get(1)).startsWith(TokenHashes.sha256Hex(analystToken) + " analyst bo@example.com expires=");
            assertThat(Files.readString(tokens)).doesNotContain(adminToken).doesNotContain(analystToken);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokens))).isEqualTo("rw-------");

            ApiClient api = new ApiClient(Integer.parseInt(env.get("PORT")));
            assertThat(api.post("/api/admin/run-bq-metadata-refresh", adminToken).status()).isEqualTo(200);
            assertThat(api.get("/api/v2/metadata-cache/status", analystToken).status()).isEqualTo(200);
            assertThat(api.post("/api/admin/run-bq-metadata-refresh", analystToken).status()).isEqualTo(403);
        } finally {
            bigQuery.stop();
        }
    }

    @Test
    void badArgumentsAreUsageErrors() {
        Path tokens = dir.resolve("tokens");
        Run badRole = run("tokens", "create", "--user", "x", "--role", "root", "--file", tokens.toString());
        assertThat(badRole.exit()).isEqualTo(2);
        assertThat(badRole.err()).contains("--role must be admin or analyst");
        Run badUser = run("tokens", "create", "--user", "two words", "--role", "admin", "--file", tokens.toString());
        assertThat(badUser.exit()).isEqualTo(2);
        Run badExpiry = run("tokens", "create", "--user", "x", "--role", "admin", "--expires-in", "soon",
                "--file", tokens.toString());
        assertThat(badExpiry.exit()).isEqualTo(2);
        assertThat(badExpiry.err()).contains("--expires-in");
        assertThat(Files.exists(tokens)).isFalse();
        assertThat(run("tokens", "create", "--help").out()).contains("--user", "--role", "--expires-in");
    }

    /** A file that cannot be written: one line saying where and why, no stack trace, nothing printed as a token. */
    @Test
    void aTokensFileThatCannotBeWrittenIsOneLine() throws Exception {
        Path directory = Files.createDirectories(dir.resolve("a-directory"));
        Run onDirectory = run("tokens", "create", "--user", "x", "--role", "admin", "--file", directory.toString());
        assertThat(onDirectory.exit()).isEqualTo(1);
        assertThat(onDirectory.err().strip()).isEqualTo("tokens create: cannot add a token to " + directory
                + ": Is a directory");
        assertThat(onDirectory.out()).isEmpty();
    }
}
