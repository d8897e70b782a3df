package io.agnes.bqmc.cli;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.support.FreePorts;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The {@code status} command against the running service (token and URL from the platform CLI's
 * variables, the Nagios codes of {@code --check}), against a server that answers strangely
 * (nulls, terminal escapes), and fitted to a real 80-column terminal.
 */
class StatusCommandTest {

    @TempDir
    static Path dir;

    static WireMockServer bigQuery;
    static TestService service;
    static String url;
    static String analyst;

    @BeforeAll
    static void start() throws Exception {
        bigQuery = WireMocks.startBigQuery();
        WireMocks.serveTable(bigQuery, "test-project", "ds", "orders", 1284731, 982340112);
        WireMocks.serveTable(bigQuery, "test-project", "ds", "events", 5, 2048);
        WireMocks.serveError(bigQuery, "test-project", "ds", "gone", 404, "notFound", "Not found: Table test-project:ds.gone");
        analyst = TokenIssuer.issue(dir.resolve("tokens"), "bo@example.com", Role.ANALYST, null);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        service = TestService.start(env);
        url = "http://127.0.0.1:" + env.get("PORT");
        service.registerRemote("orders", "ds", "orders");
        service.registerRemote("events", "ds", "events");
        service.runAll();
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        bigQuery.stop();
    }

    record Run(int exit, String out, String err) {
    }

    /** The platform CLI's variables point at the service; no terminal (output captured). */
    static Map<String, String> platformEnv() {
        Map<String, String> env = new HashMap<>();
        env.put("AGNES_SERVER", url + "/");
        env.put("AGNES_TOKEN", analyst);
        return env;
    }

    static Run status(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new StatusCommand(env));
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** The last run's line says who started it, where the server tells (an older one says only the route). */
    @Test
    void theLastRunSaysWhoStartedIt() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertThat(StatusView.of(json.readTree("{\"tables\":[],\"last_runs\":[{\"run_id\":\"abcd1234\","
                + "\"trigger\":\"rest\",\"triggered_by\":\"api\",\"caller\":\"ana@example.com\"}]}")).lastRun().trigger())
                .isEqualTo("api by ana@example.com");
        assertThat(StatusView.of(json.readTree("{\"tables\":[],\"last_runs\":[{\"run_id\":\"abcd1234\","
                + "\"trigger\":\"timer\",\"triggered_by\":\"timer\",\"caller\":null}]}")).lastRun().trigger())
                .isEqualTo("timer");
        assertThat(StatusView.of(json.readTree("{\"tables\":[],\"last_runs\":[{\"run_id\":\"abcd1234\","
                + "\"trigger\":\"rest\"}]}")).lastRun().trigger()).isEqualTo("rest");
    }

    @Test
    void rendersATableWithTheLastRunFromThePlatformsVariables() {
        Run r = status(platformEnv());
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo("bq-metadata-cache at " + url + ": refresh every 4h, fresh for 8h");
        assertThat(lines.get(1)).startsWith("last run ").contains("(direct, ", "2 tables, 2 ok, 0 no data, 0 failed");
        assertThat(lines).anySatisfy(l -> assertThat(l).matches("orders\\s+fresh\\s+1,284,731\\s+936\\.8 MiB\\s+\\d+s ago"));
        assertThat(lines).anySatisfy(l -> assertThat(l).matches("events\\s+fresh\\s+5\\s+2\\.0 KiB\\s+\\d+s ago"));
        assertThat(lines.get(lines.size() - 1)).isEqualTo("2 tables: 2 fresh, 0 stale, 0 error, 0 never fetched");
    }

    @Test
    void theTokenComesFromTheEnvironmentOrAFileNeverTheCommandLine() throws Exception {
        Map<String, String> noToken = platformEnv();
        noToken.remove("AGNES_TOKEN");
        Path file = dir.resolve("my-token");
        Files.writeString(file, analyst + "\n");
        assertThat(status(noToken, "--token-file", file.toString()).exit()).isZero();

        Run onArgv = status(noToken, "--token", analyst);
        assertThat(onArgv.exit()).isEqualTo(3);
        assertThat(onArgv.err()).contains("--token is not accepted", "AGNES_TOKEN", "--token-file");
        Run none = status(noToken);
        assertThat(none.exit()).isEqualTo(3);
        assertThat(none.err()).contains("no token: set AGNES_TOKEN or use --token-file");
        Files.writeString(file, "\n");
        assertThat(status(noToken, "--token-file", file.toString()).err()).contains("is empty");
        Run missing = status(noToken, "--token-file", dir.resolve("nope").toString());
        assertThat(missing.exit()).isEqualTo(3);

        // a monitoring system reads the first line: it gets one, whatever is wrong with the token
        for (Run check : List.of(status(noToken, "--check"),
                status(noToken, "--check", "--token-file", dir.resolve("nope").toString()))) {
            assertThat(check.exit()).isEqualTo(3);
            assertThat(check.out().lines().findFirst().orElse("")).startsWith("BQ METADATA CACHE UNKNOWN - ");
        }
        // one rule, as --help and the README say: the file named on the command line wins over AGNES_TOKEN
        Map<String, String> wrongInEnvironment = platformEnv();
        wrongInEnvironment.put("AGNES_TOKEN", "bqmc_wrong");
        Files.writeString(file, analyst + "\n");
        assertThat(status(wrongInEnvironment, "--token-file", file.toString()).exit()).isZero();
        assertThat(missing.err()).contains("cannot read --token-file");
        assertThat(status(Map.of(), "--help").out()).contains("--url", "--token-file", "--json", "--check", "--freshness",
                "AGNES_SERVER", "AGNES_TOKEN", "0  OK", "1  WARNING", "2  CRITICAL", "3  UNKNOWN").doesNotContain("--token ");
    }

    @Test
    void checkFollowsTheNagiosConvention() throws Exception {
        Run ok = status(platformEnv(), "--check");
        assertThat(ok.exit()).isZero();
        assertThat(ok.out().lines().findFirst()).hasValue(
                "BQ METADATA CACHE OK - all 2 tables fresh | fresh=2;;;0 stale=0;;;0 error=0;;;0 never_fetched=0;;;0");

        service.update("UPDATE bq_metadata_cache SET refreshed_at = refreshed_at - INTERVAL 9 HOUR WHERE table_id = 'events'");
        try {
            Run stale = status(platformEnv(), "--check");
            assertThat(stale.exit()).isEqualTo(1);
            assertThat(stale.out().lines().findFirst().orElseThrow()).startsWith("BQ METADATA CACHE WARNING - 1 stale of 2 tables | ");
            List<String> rows = stale.out().lines().filter(l -> l.startsWith("events") || l.startsWith("orders")).toList();
            assertThat(rows.get(0)).as("problems first").startsWith("events").contains("stale", "9h ago");
        } finally {
            service.update("UPDATE bq_metadata_cache SET refreshed_at = refreshed_at + INTERVAL 9 HOUR WHERE table_id = 'events'");
        }

        service.registerRemote("gone", "ds", "gone");
        try {
            Run never = status(platformEnv(), "--check");
            assertThat(never.exit()).isEqualTo(1);
            assertThat(never.out()).startsWith("BQ METADATA CACHE WARNING - 1 never fetched of 3 tables");
            service.refreshOne("gone");
            Run error = status(platformEnv(), "--check");
            assertThat(error.exit()).isEqualTo(2);
            assertThat(error.out()).startsWith("BQ METADATA CACHE CRITICAL - 1 error of 3 tables")
                    .contains("error=1;;;0");
            assertThat(status(platformEnv()).exit()).as("without --check the table is shown and that is success").isZero();
            Run onlyErrors = status(platformEnv(), "--freshness", "error,stale");
            assertThat(onlyErrors.exit()).isZero();
            assertThat(onlyErrors.out().lines().filter(l -> l.matches("^(gone|orders|events)\\s.*"))).hasSize(1)
                    .allSatisfy(l -> assertThat(l).startsWith("gone"));
            assertThat(onlyErrors.out()).contains("1 table: 0 fresh, 0 stale, 1 error");
        } finally {
            service.update("DELETE FROM table_registry WHERE id = 'gone'");
            service.update("DELETE FROM bq_metadata_cache WHERE table_id = 'gone'");
        }
    }

    @Test
    void jsonPassesTheBodyThrough() throws Exception {
        Run r = status(platformEnv(), "--json");
        assertThat(r.exit()).isZero();
        var body = new ObjectMapper().readTree(r.out());
        assertThat(body.get("tables")).hasSize(2);
        assertThat(body.get("fresh_threshold_seconds").asLong()).isEqualTo(28800);
    }

    @Test
    void unreachableRefusedOrMisusedIsUnknown() {
        Map<String, String> down = platformEnv();
        down.put("AGNES_SERVER", "http://127.0.0.1:" + FreePorts.next());
        Run unreachable = status(down, "--check");
        assertThat(unreachable.exit()).isEqualTo(3);
        assertThat(unreachable.out()).startsWith("BQ METADATA CACHE UNKNOWN - cannot reach");
        assertThat(unreachable.err()).contains("cannot reach");

        Map<String, String> wrong = platformEnv();
        wrong.put("AGNES_TOKEN", "bqmc_wrong");
        Run refused = status(wrong);
        assertThat(refused.exit()).isEqualTo(3);
        assertThat(refused.err()).contains("token refused (HTTP 401)", "Token unknown");

        assertThat(status(platformEnv(), "--url", "ftp://example.com").exit()).isEqualTo(3);
        Run badFilter = status(platformEnv(), "--freshness", "stale,rotten");
        assertThat(badFilter.exit()).isEqualTo(3);
        assertThat(badFilter.err()).contains("unknown verdict 'rotten'");
        assertThat(status(platformEnv(), "--no-such-option").exit()).isEqualTo(3);
    }

    /** What a server sent is shown, never obeyed: nulls are tolerated, escapes made harmless. */
    @Test
    void aStrangeAnswerNeitherCrashesTheCommandNorReachesTheTerminalRaw() {
        WireMockServer server = WireMocks.startBigQuery();
        try {
            server.stubFor(get(urlPathEqualTo("/api/v2/metadata-cache/status")).willReturn(WireMocks.json(200, strangeStatus())));
            Map<String, String> env = Map.of("AGNES_SERVER", server.baseUrl(), "AGNES_TOKEN", "t", "COLUMNS", "80");
            Run r = status(env, "--check", "--freshness", "error, stale");
            assertThat(r.exit()).as(r.err()).isEqualTo(2);
            assertThat(r.out()).doesNotContain("\u001b", "\u0007", "\u009b", "\u202e")
                    .contains("?]0;pwned?", "?[2J", "BQ METADATA CACHE CRITICAL - 1 error, 1 unknown of 3 tables");
            assertThat(r.out().lines().skip(1)).as("the table under the monitoring line")
                    .allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(80));
            server.verify(getRequestedFor(urlPathEqualTo("/api/v2/metadata-cache/status"))
                    .withQueryParam("freshness", com.github.tomakehurst.wiremock.client.WireMock.equalTo("error,stale")));

            server.stubFor(get(urlPathEqualTo("/api/v2/metadata-cache/status")).willReturn(WireMocks.json(200, "{\"tables\":null}")));
            Run notStatus = status(env);
            assertThat(notStatus.exit()).isEqualTo(3);
            assertThat(notStatus.err()).contains("not a status document");
        } finally {
            server.stop();
        }
    }

    /**
     * In a real 60-column terminal (a pty from script(1)) with no COLUMNS exported, every line
     * fits: the width is the terminal's own, not the classic 80 a silent terminal gets.
     */
    @Test
    void fitsARealNarrowTerminal() throws Exception {
        WireMockServer server = WireMocks.startBigQuery();
        try {
            server.stubFor(get(urlPathEqualTo("/api/v2/metadata-cache/status")).willReturn(WireMocks.json(200, strangeStatus())));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String command = "stty cols 60 rows 24; exec '" + java + "' -cp '" + System.getProperty("java.class.path")
                    + "' io.agnes.bqmc.BqMetadataCacheApplication status";
            ProcessBuilder pb = new ProcessBuilder("script", "-qec", command, "/dev/null").redirectErrorStream(true);
            pb.environment().remove("COLUMNS");
            pb.environment().put("AGNES_SERVER", server.baseUrl());
            pb.environment().put("AGNES_TOKEN", "t");
            Process p = pb.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            List<String> lines = out.lines().map(l -> l.replace("\r", "")).toList();
            assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("  error: Access Denied: Table test-project:ds"));
            assertThat(lines).allSatisfy(l -> assertThat(l.length()).as(l).isLessThanOrEqualTo(60));

            // the same answer to a pipe is not cut
            Run piped = status(Map.of("AGNES_SERVER", server.baseUrl(), "AGNES_TOKEN", "t"));
            assertThat(piped.out()).contains("which is a long reason that goes on and on until the end of the line");
        } finally {
            server.stop();
        }
    }

    static String strangeStatus() {
        String longError = "Access Denied: Table test-project:ds.a_table_with_a_rather_long_name: User does not have "
                + "bigquery.tables.get permission, which is a long reason that goes on and on until the end of the line";
        return """
                {"server_time":"2026-11-27T12:00:00Z","scheduler_interval_seconds":null,"fresh_threshold_seconds":28800,
                 "last_runs":[{"run_id":null,"trigger":"timer","finished_at":"not a time","total":null}],
                 "tables":[
                  {"table_id":"\\u001b]0;pwned\\u0007\\u001b[2J\\u202eevil","freshness":"fresh","rows":"many",
                   "size_bytes":null,"refreshed_at":"2026-11-27T11:00:00Z","error_msg":null},
                  {"table_id":"a_table_with_a_rather_long_name_that_keeps_going_and_going","freshness":"error","rows":null,
                   "refreshed_at":null,"error_msg":"%s"},
                  {"table_id":null,"freshness":null,"error_msg":"\\u009b31m red"}
                 ]}""".formatted(longError);
    }

    @Test
    void humanUnits() {
        assertThat(StatusTable.size(512)).isEqualTo("512 B");
        assertThat(StatusTable.size(1536)).isEqualTo("1.5 KiB");
        assertThat(StatusTable.size(Long.MAX_VALUE)).isEqualTo("8.0 EiB");
        assertThat(StatusTable.duration(59L)).isEqualTo("59s");
        assertThat(StatusTable.duration(3L * 3600 + 5)).isEqualTo("3h");
        assertThat(StatusTable.duration(2L * 86400)).isEqualTo("2d");
    }

    /**
     * Issue 23, finding 9: --timeout covered only the headers (a body dripped a byte a second kept
     * `status --check` alive past 40 s) and the answer's size had no cap (1 GB: 6.3 GB RSS). Both
     * end in exit 3 with one monitoring line.
     */
    @Test
    void theTimeoutBoundsTheWholeExchangeAndTheAnswersSizeIsCapped() throws Exception {
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress())) {
            Thread serve = new Thread(() -> {
                for (int n = 0; n < 2; n++) {
                    try (java.net.Socket s = server.accept()) {
                        s.getInputStream().read(new byte[8192]);
                        java.io.OutputStream out = s.getOutputStream();
                        boolean drip = n == 0;
                        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                + (drip ? "Content-Length: 100000\r\n" : "") + "\r\n{\"tables\":[")
                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                        byte[] spaces = new byte[1 << 20];
                        java.util.Arrays.fill(spaces, (byte) ' ');
                        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
                        while (System.nanoTime() < until) {
                            if (drip) {
                                out.write(' ');
                                out.flush();
                                Thread.sleep(1000);
                            } else {
                                out.write(spaces);
                            }
                        }
                    } catch (Exception closedByTheClient) {
                        // the command gave up: what this test wants
                    }
                }
            });
            serve.setDaemon(true);
            serve.start();
            Map<String, String> env = Map.of("AGNES_SERVER", "http://127.0.0.1:" + server.getLocalPort(), "AGNES_TOKEN", "t");
            long started = System.nanoTime();
            Run dripped = status(env, "--check", "--timeout", "2");
            assertThat((System.nanoTime() - started) / 1_000_000).as("ms").isLessThan(6_000);
            assertThat(dripped.exit()).isEqualTo(3);
            assertThat(dripped.out().lines().toList()).singleElement().asString()
                    .startsWith("BQ METADATA CACHE UNKNOWN - no complete answer");
            Run huge = status(env, "--check", "--timeout", "60");
            assertThat(huge.exit()).isEqualTo(3);
            assertThat(huge.out().lines().toList()).singleElement().asString().contains("larger than 128 MB");
        }
    }
}
