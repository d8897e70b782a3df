package io.agnes.bqmc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.refresh.SingleFlightRoutePolicy;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code run} against the running service: a run and its exit code by outcome, one table, a
 * refused token, a run already in flight followed instead of started, and {@code --follow} as
 * plain lines to a pipe and as a progress bar in a real terminal (a pty from script(1)).
 */
class RunCommandTest {

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    static Run run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new RunCommand(env));
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void runsFollowsAndExitsByTheOutcome() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 5, 50, 400);
        WireMocks.serveError(bigQuery, "test-project", "ds", "gone", 404, "notFound", "Not found: Table");
        WireMocks.serveError(bigQuery, "test-project", "ds", "denied", 403, "accessDenied", "Access Denied: Table");
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ana@example.com", Role.ADMIN, null);
        String analyst = TokenIssuer.issue(dir.resolve("tokens"), "bo@example.com", Role.ANALYST, null);
        Map<String, String> serviceEnv = TestService.environment(dir, bigQuery.baseUrl());
        try (TestService service = TestService.start(serviceEnv)) {
            String server = "http://127.0.0.1:" + serviceEnv.get("PORT");
            Map<String, String> env = new HashMap<>(Map.of("AGNES_SERVER", server, "AGNES_TOKEN", admin));
            for (int i = 0; i < 6; i++) {
                service.registerRemote("t" + i, "ds", "t" + i);
            }

            Run ok = run(env, "--follow");
            assertThat(ok.exit()).as(ok.err()).isZero();
            List<String> lines = ok.out().lines().toList();
            assertThat(lines.get(0)).matches("run [0-9a-f]{8} started: 6 tables");
            assertThat(lines.get(lines.size() - 1)).matches("run [0-9a-f]{8}: 6 tables, 6 ok, 0 no data, 0 failed in"
                    + " \\d+\\.\\d s");
            assertThat(ok.out()).as("plain lines to a pipe, no terminal controls").doesNotContain("\r", "\u001b");

            assertThat(run(env, "--table", "t1").out()).startsWith("t1: ok, 5 rows (");
            service.registerRemote("gone", "ds", "gone");
            assertThat(run(env, "--table", "gone").exit()).isEqualTo(1);
            Run nope = run(env, "--table", "nope");
            assertThat(nope.exit()).isEqualTo(3);
            assertThat(nope.err()).contains("server answered (HTTP 404): Unknown table_id: nope");

            service.registerRemote("denied", "ds", "denied");
            Run failed = run(env);
            assertThat(failed.exit()).as("a table failed").isEqualTo(2);
            assertThat(failed.out()).contains("8 tables, 6 ok, 1 no data, 1 failed");

            Run refused = run(Map.of("AGNES_SERVER", server, "AGNES_TOKEN", analyst));
            assertThat(refused.exit()).isEqualTo(3);
            assertThat(refused.err()).contains("token refused (HTTP 403): Admin access required");
            assertThat(run(Map.of("AGNES_SERVER", server)).exit()).as("no token").isEqualTo(3);
            assertThat(run(env, "--token", admin).err()).contains("--token is not accepted");

            // a run already in flight is followed to its end
            SingleFlightRoutePolicy runs = service.context().getRegistry()
                    .lookupByNameAndType("singleFlightRoutePolicy", SingleFlightRoutePolicy.class);
            CompletableFuture<ApiClient.Answer> other = CompletableFuture.supplyAsync(() ->
                    new ApiClient(Integer.parseInt(serviceEnv.get("PORT"))).post("/api/admin/run-bq-metadata-refresh", admin));
            Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> runs.current().isPresent());
            Run followed = run(env);
            String otherId = other.get().json().get("run_id").asText();
            assertThat(followed.err()).contains("run " + otherId + " is already in flight");
            assertThat(followed.out().strip()).startsWith("run " + otherId + ": 8 tables, 6 ok, 1 no data, 1 failed");
            assertThat(followed.exit()).isEqualTo(2);

            // in a real terminal: one line redrawn in place as the run goes, then the summary
            service.update("DELETE FROM table_registry WHERE id IN ('gone', 'denied')");
            for (int i = 6; i < 16; i++) {
                service.registerRemote("t" + i, "ds", "t" + i); // four waves of 400 ms: snapshots come every second
            }
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String command = "stty cols 100 rows 24; exec '" + java + "' -cp '" + System.getProperty("java.class.path")
                    + "' io.agnes.bqmc.BqMetadataCacheApplication run --follow";
            ProcessBuilder pb = new ProcessBuilder("script", "-qec", command, "/dev/null").redirectErrorStream(true);
            pb.environment().remove("COLUMNS");
            pb.environment().put("AGNES_SERVER", server);
            pb.environment().put("AGNES_TOKEN", admin);
            Process p = pb.start();
            p.getOutputStream().close();
            String tty = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(tty).isZero();
            assertThat(tty).containsPattern("\r\\[#*-*\\] \\d+/16 \\(\\d+%\\)  ok \\d+  no_data 0  error 0  [0-9.]+/s");
            assertThat(tty).containsPattern("run [0-9a-f]{8}: 16 tables, 16 ok, 0 no data, 0 failed");
            assertThat(tty.lines().map(l -> l.substring(l.lastIndexOf('\r') + 1)))
                    .allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(100));
        } finally {
            bigQuery.stop();
        }
    }
}
