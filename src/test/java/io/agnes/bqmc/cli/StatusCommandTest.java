package io.agnes.bqmc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

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

/** The {@code status} command against the running service. */
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

    static CreateTokenCommandTest.Run status(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "status";
        System.arraycopy(args, 0, all, 1, args.length);
        return CreateTokenCommandTest.run(all);
    }

    @Test
    void rendersATableWithTheLastRun() {
        CreateTokenCommandTest.Run r = status("--url", url, "--token", analyst);
        assertThat(r.exit()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).contains("refresh every 4h", "fresh for 8h");
        assertThat(lines.get(1)).startsWith("last run ").contains("(direct, ", "2 tables, 2 ok, 0 no data, 0 failed");
        assertThat(lines).anySatisfy(l -> assertThat(l).matches("orders\\s+fresh\\s+1,284,731\\s+936\\.8 MiB\\s+\\d+s ago"));
        assertThat(lines).anySatisfy(l -> assertThat(l).matches("events\\s+fresh\\s+5\\s+2\\.0 KiB\\s+\\d+s ago"));
        assertThat(lines.get(lines.size() - 1)).isEqualTo("2 tables: 2 fresh, 0 stale, 0 error, 0 never fetched");
    }

    @Test
    void checkExitsOneWhenATableIsStaleOrInError() throws Exception {
        assertThat(status("--url", url, "--token", analyst, "--check").exit()).isZero();
        service.update("UPDATE bq_metadata_cache SET refreshed_at = refreshed_at - INTERVAL 9 HOUR WHERE table_id = 'events'");
        try {
            CreateTokenCommandTest.Run r = status("--url", url, "--token", analyst, "--check");
            assertThat(r.exit()).isEqualTo(1);
            List<String> rows = r.out().lines().filter(l -> l.startsWith("events") || l.startsWith("orders")).toList();
            assertThat(rows.get(0)).as("problems first").startsWith("events").contains("stale", "9h ago");
        } finally {
            service.update("UPDATE bq_metadata_cache SET refreshed_at = refreshed_at + INTERVAL 9 HOUR WHERE table_id = 'events'");
        }
    }

    @Test
    void jsonPassesTheBodyThrough() throws Exception {
        CreateTokenCommandTest.Run r = status("--url", url, "--token", analyst, "--json");
        assertThat(r.exit()).isZero();
        var body = new ObjectMapper().readTree(r.out());
        assertThat(body.get("tables")).hasSize(2);
        assertThat(body.get("fresh_threshold_seconds").asLong()).isEqualTo(28800);
    }

    @Test
    void unreachableServerOrRefusedTokenExitTwo() {
        CreateTokenCommandTest.Run down = status("--url", "http://127.0.0.1:" + FreePorts.next(), "--token", analyst);
        assertThat(down.exit()).isEqualTo(2);
        assertThat(down.err()).contains("cannot reach");
        CreateTokenCommandTest.Run refused = status("--url", url, "--token", "bqmc_wrong");
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("token refused", "Token unknown");
        assertThat(status("--help").out()).contains("--url", "--token", "--json", "--check");
    }

    @Test
    void humanUnits() {
        assertThat(StatusCommand.StatusTable.size(512)).isEqualTo("512 B");
        assertThat(StatusCommand.StatusTable.size(1536)).isEqualTo("1.5 KiB");
        assertThat(StatusCommand.StatusTable.size(Long.MAX_VALUE)).isEqualTo("8.0 EiB");
        assertThat(StatusCommand.StatusTable.duration(59)).isEqualTo("59s");
        assertThat(StatusCommand.StatusTable.duration(3 * 3600 + 5)).isEqualTo("3h");
        assertThat(StatusCommand.StatusTable.duration(2 * 86400)).isEqualTo("2d");
    }
}
