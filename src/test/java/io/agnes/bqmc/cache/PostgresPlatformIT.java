package io.agnes.bqmc.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.db.PlatformTables;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.BigQueryJson;
import io.agnes.bqmc.support.ChildService;
import io.agnes.bqmc.support.LogCapture;
import io.agnes.bqmc.support.Postgres;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The platform's PostgreSQL (../shared/PLATFORM-SCHEMA.md): its tables open unchanged, the
 * service creates only its own {@code bqmc_*} tables, jsonb lists are real arrays and times the
 * true instants, a registry without {@code bq_fqn} works, a missing platform table is a clear
 * start error, {@code db init-platform} creates the two tables, and no credential is ever logged.
 */
class PostgresPlatformIT {

    @TempDir
    Path dir;

    Postgres pg;
    String database;
    WireMockServer bigQuery;

    @BeforeEach
    void start() {
        pg = Postgres.shared();
        database = pg.createDatabase();
        bigQuery = WireMocks.startBigQuery();
    }

    @AfterEach
    void stop() {
        bigQuery.stop();
    }

    Map<String, String> environment() {
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("DATABASE_URL", pg.platformUrl(database));
        return env;
    }

    List<String> schema(Connection c) throws Exception {
        List<String> columns = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT table_name, column_name, data_type,"
                + " is_nullable, coalesce(column_default, '') FROM information_schema.columns WHERE table_schema = 'public'"
                + " ORDER BY table_name, ordinal_position")) {
            while (rs.next()) {
                columns.add(rs.getString(1) + "." + rs.getString(2) + " " + rs.getString(3) + " " + rs.getString(4) + " "
                        + rs.getString(5));
            }
        }
        return columns;
    }

    @Test
    void opensThePlatformsTablesUnchangedAndStoresRealArraysAndTrueInstants() throws Exception {
        List<String> before;
        try (Connection c = pg.connect(database); Statement s = c.createStatement()) {
            PlatformTables.create(c, false); // a platform version without bq_fqn
            s.execute("CREATE TABLE users (id varchar PRIMARY KEY, email varchar)");
            s.execute("INSERT INTO users VALUES ('u1', 'ana@example.com')");
            s.execute("INSERT INTO table_registry (id, name, source_type, bucket, source_table, query_mode, folder,"
                    + " description, registered_by) VALUES ('orders', 'Orders', 'bigquery', 'sales', 'orders', 'remote',"
                    + " 'finance', 'All orders', 'ana'), ('local', 'Local', 'csv', NULL, NULL, 'local', NULL, NULL, 'ana')");
            before = schema(c);
        }
        bigQuery.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(
                        com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo(
                                BigQueryJson.tablePath("test-project", "sales", "orders")))
                .willReturn(WireMocks.json(200, BigQueryJson.table("test-project", "sales", "orders", "TABLE", "77", "7700",
                        List.of("id", "ü"), "\"clustering\":{\"fields\":[\"region\",\"day\"]}"))));

        Instant runStarted;
        Instant runEnded;
        try (LogCapture logs = LogCapture.open(); TestService service = TestService.start(environment())) {
            runStarted = Instant.now();
            RunRecord run = service.runAll();
            runEnded = Instant.now();
            assertThat(run.total()).isEqualTo(1);
            assertThat(run.succeeded()).isEqualTo(1);
            assertThat(logs.lines()).noneMatch(line -> line.contains(Postgres.PASSWORD));
        }

        try (Connection c = pg.connect(database); Statement s = c.createStatement()) {
            List<String> after = schema(c);
            List<String> ours = after.stream().filter(col -> col.startsWith("bqmc_")).toList();
            assertThat(after.stream().filter(col -> !col.startsWith("bqmc_")).toList()).as("the platform's tables, unchanged")
                    .isEqualTo(before);
            assertThat(ours).isNotEmpty().allSatisfy(col -> assertThat(col).startsWith("bqmc_run_history."));
            try (ResultSet rs = s.executeQuery("SELECT rows, size_bytes, jsonb_typeof(clustered_by), clustered_by->>1,"
                    + " known_columns->>1, entity_type, extract(epoch FROM refreshed_at), error_at FROM bq_metadata_cache")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).isEqualTo(77);
                assertThat(rs.getLong(2)).isEqualTo(7700);
                assertThat(rs.getString(3)).as("a real jsonb array, not a string holding one").isEqualTo("array");
                assertThat(rs.getString(4)).isEqualTo("day");
                assertThat(rs.getString(5)).isEqualTo("ü");
                assertThat(rs.getString(6)).isEqualTo("BASE TABLE");
                Instant refreshed = Instant.ofEpochMilli(rs.getBigDecimal(7).movePointRight(3).longValue());
                assertThat(refreshed).as("the true instant").isBetween(runStarted.minusSeconds(1), runEnded.plusSeconds(1));
                assertThat(rs.getObject(8)).isNull();
                assertThat(rs.next()).isFalse();
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM users")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1);
            }
        }
    }

    @Test
    void aMissingPlatformTableIsAClearStartErrorNamingIt() throws Exception {
        try (LogCapture logs = LogCapture.open()) {
            Throwable refused = catchThrowable(() -> TestService.start(environment()).close());
            assertThat(rootMessage(refused)).contains("bq_metadata_cache does not exist")
                    .contains("db init-platform").doesNotContain(Postgres.PASSWORD);
            assertThat(logs.lines()).noneMatch(line -> line.contains(Postgres.PASSWORD));
        }
        try (Connection c = pg.connect(database); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE bq_metadata_cache (table_id varchar PRIMARY KEY, rows bigint, size_bytes bigint,"
                    + " partition_by varchar, clustered_by jsonb, entity_type varchar, known_columns jsonb,"
                    + " refreshed_at timestamptz, error_at timestamptz, error_msg varchar)");
        }
        Throwable refused = catchThrowable(() -> TestService.start(environment()).close());
        assertThat(rootMessage(refused)).contains("table_registry does not exist");
    }

    @Test
    void aWrongPasswordIsAStartErrorThatDoesNotShowIt() {
        Map<String, String> env = environment();
        env.put("DATABASE_URL", "postgresql://" + Postgres.USER + ":Wrong-Secret-42@127.0.0.1:" + pg.port() + "/" + database);
        try (LogCapture logs = LogCapture.open()) {
            Throwable refused = catchThrowable(() -> TestService.start(env).close());
            assertThat(rootMessage(refused)).contains("cannot open database jdbc:postgresql://127.0.0.1:" + pg.port())
                    .contains("password authentication failed").doesNotContain("Wrong-Secret-42");
            assertThat(logs.lines()).noneMatch(line -> line.contains("Wrong-Secret-42"));
        }
    }

    @Test
    void initPlatformCreatesBothTablesWithThePlatformsTypes() throws Exception {
        Map<String, String> env = Map.of("DATABASE_URL", pg.platformUrl(database));
        try (ChildService command = ChildService.start(env, dir.resolve("init.log"), "db", "init-platform")) {
            assertThat(command.awaitExit(Duration.ofSeconds(60))).as(command.output()).isZero();
            assertThat(command.output()).contains("table_registry and bq_metadata_cache are ready")
                    .doesNotContain(Postgres.PASSWORD);
        }
        try (Connection c = pg.connect(database)) {
            List<String> columns = schema(c);
            assertThat(columns).contains("bq_metadata_cache.clustered_by jsonb YES ",
                    "bq_metadata_cache.refreshed_at timestamp with time zone YES ",
                    "table_registry.registered_at timestamp with time zone NO CURRENT_TIMESTAMP",
                    "table_registry.query_mode character varying NO 'local'::character varying",
                    "table_registry.bq_fqn character varying YES ");
        }
        try (ChildService duck = ChildService.start(Map.of("AGNES_DB_URL", "jdbc:duckdb:" + dir.resolve("x.duckdb")),
                dir.resolve("duck.log"), "db", "init-platform")) {
            assertThat(duck.awaitExit(Duration.ofSeconds(60))).isEqualTo(2);
            assertThat(duck.output()).contains("DATABASE_URL must name a PostgreSQL database");
        }
    }

    static String rootMessage(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable e = t; e != null; e = e.getCause() == e ? null : e.getCause()) {
            all.append(e.getMessage()).append(" | ");
        }
        return all.toString();
    }
}
