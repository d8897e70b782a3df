package io.agnes.bqmc.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;

import io.agnes.bqmc.db.PlatformTables;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.Postgres;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A role the platform's DBA granted the service's tables to, without owning them (issue 23,
 * finding 7): it had failed to start with {@code must be owner of table bqmc_run_history}. Schema
 * changes run only when something is missing.
 */
class GrantedRoleTest {

    @TempDir
    Path dir;

    @Test
    void aRoleThatUsesButDoesNotOwnTheTablesStartsAndRuns() throws Exception {
        Postgres pg = Postgres.shared();
        String database = pg.createDatabase();
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 2, 20, 0);
        // the owner's first start creates everything (as the DBA's migration or a first deploy would)
        Map<String, String> owner = TestService.environment(dir, bigQuery.baseUrl());
        owner.put("DATABASE_URL", pg.platformUrl(database));
        try (Connection c = pg.connect(database)) {
            PlatformTables.create(c, true);
        }
        try (TestService service = TestService.start(owner)) {
            service.registerRemote("orders", "ds", "orders");
        }
        String role = "bqmc_app_" + database.replaceAll("\\W", "");
        try (Connection c = pg.connect(database); Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'app-pw-1'");
            s.execute("GRANT USAGE ON SCHEMA public TO " + role);
            s.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role);
        }
        Map<String, String> granted = TestService.environment(dir, bigQuery.baseUrl());
        granted.put("DATABASE_URL", "postgresql://" + role + ":app-pw-1@127.0.0.1:" + pg.port() + "/" + database);
        try (TestService service = TestService.start(granted)) {
            RunRecord run = service.runAll();
            assertThat(run.succeeded()).isEqualTo(1);
        } finally {
            bigQuery.stop();
        }
    }
}
