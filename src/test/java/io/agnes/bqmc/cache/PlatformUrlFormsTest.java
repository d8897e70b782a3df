package io.agnes.bqmc.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;

import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.db.PlatformTables;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.FreePorts;
import io.agnes.bqmc.support.Postgres;
import io.agnes.bqmc.support.TestService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The platform's {@code DATABASE_URL} in the forms PostgreSQL's own clients take, against a real
 * server (issue 23, finding 6): a socket directory, and several hosts of which the first is
 * down. Each had been ignored, and the replica had served a DuckDB file in its working directory
 * with readiness 200.
 */
class PlatformUrlFormsTest {

    @TempDir
    Path dir;

    @Test
    void aSocketDirectoryAndSeveralHostsReachTheServerTheyName() throws Exception {
        Postgres pg = Postgres.shared();
        String database = pg.createDatabase();
        try (Connection c = pg.connect(database)) {
            PlatformTables.create(c, true);
        }
        String user = Postgres.USER + ":" + Postgres.PASSWORD;
        int closed = FreePorts.next();
        for (String url : List.of(
                "postgresql://" + user + "@/" + database + "?host=" + pg.socketDirectory() + "&port=" + pg.port(),
                "postgresql://" + user + "@127.0.0.1:" + closed + ",127.0.0.1:" + pg.port() + "/" + database)) {
            Map<String, String> env = TestService.environment(dir, "http://127.0.0.1:9");
            env.put("DATABASE_URL", url);
            env.put("PORT", Integer.toString(FreePorts.next()));
            env.put("MANAGEMENT_PORT", Integer.toString(FreePorts.next()));
            String analyst = TokenIssuer.issue(dir.resolve("tokens"), "bo@example.com", Role.ANALYST, null);
            try (TestService service = TestService.start(env)) {
                service.registerRemote("orders_" + Math.abs(url.hashCode()), "ds", "orders");
                ApiClient api = new ApiClient(Integer.parseInt(env.get("PORT")));
                ApiClient.Answer status = api.get("/api/v2/metadata-cache/status", analyst);
                assertThat(status.status()).as(url).isEqualTo(200);
                assertThat(service.dialect().name()).isEqualTo("POSTGRESQL");
            }
            try (Connection c = pg.connect(database); var rs = c.createStatement()
                    .executeQuery("SELECT count(*) FROM table_registry WHERE id = 'orders_" + Math.abs(url.hashCode()) + "'")) {
                rs.next();
                assertThat(rs.getInt(1)).as("written to the server the URL names: %s", url).isEqualTo(1);
            }
        }
        assertThat(dir.resolve("system.duckdb")).as("no fallback to a local file").doesNotExist();
    }
}
