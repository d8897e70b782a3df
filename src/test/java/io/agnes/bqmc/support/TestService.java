package io.agnes.bqmc.support;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import io.agnes.bqmc.ServiceMain;
import io.agnes.bqmc.cache.CacheSchema;
import io.agnes.bqmc.db.Dialect;
import io.agnes.bqmc.db.PlatformTables;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.refresh.TableRefreshResult;
import io.agnes.bqmc.registry.RegistryTable;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.main.Main;

/**
 * The whole service, started in this JVM on its own ports and its own DuckDB file in a temp
 * directory, configured through the same environment variables as production.
 */
public final class TestService implements AutoCloseable {

    private final Main main;
    private final Map<String, String> env;
    private final ProducerTemplate template;

    private TestService(Main main, Map<String, String> env) {
        this.main = main;
        this.env = env;
        this.template = main.getCamelContext().createProducerTemplate();
    }

    /** Defaults for a test: no timer run unless asked for, fast retries, loopback BigQuery, DuckDB. */
    public static Map<String, String> environment(Path dir, String bigQueryUrl) {
        return environment(dir, bigQueryUrl, Engine.DUCKDB);
    }

    /**
     * The same on either engine. On PostgreSQL: a new database of the test's own, holding the
     * platform's two tables as its migrations create them, named by {@code DATABASE_URL} the
     * way the platform writes it (which wins over the DuckDB {@code AGNES_DB_URL}).
     */
    public static Map<String, String> environment(Path dir, String bigQueryUrl, Engine engine) {
        Map<String, String> env = new HashMap<>();
        env.put("AGNES_DB_URL", "jdbc:duckdb:" + dir.resolve("system.duckdb"));
        if (engine == Engine.POSTGRESQL) {
            Postgres pg = Postgres.shared();
            String database = pg.createDatabase();
            try (Connection c = pg.connect(database)) {
                PlatformTables.create(c, true);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            env.put("DATABASE_URL", pg.platformUrl(database));
        }
        env.put("AGNES_TOKENS_FILE", dir.resolve("tokens").toString());
        env.put("PORT", Integer.toString(FreePorts.next()));
        env.put("MANAGEMENT_PORT", Integer.toString(FreePorts.next()));
        env.put("SCHEDULER_STARTUP_GRACE_SECONDS", "3600");
        env.put("BIGQUERY_PROJECT", "test-project");
        env.put("BIGQUERY_API_URL", bigQueryUrl);
        env.put("BIGQUERY_TIMEOUT_SECONDS", "5");
        env.put("BIGQUERY_RETRY_INITIAL_DELAY_MS", "10");
        // the stand-in has no quota; the pace itself is RequestRateTest's
        env.put("BIGQUERY_MAX_REQUESTS_PER_SECOND", "0");
        // the registry file read a second after it stands still (the 5 s default is RegistryFileTest's)
        env.put("AGNES_REGISTRY_FILE_STABLE_SECONDS", "1");
        // no load balancer in front of a test: SIGTERM stops at once (ShippedConfigurationsIT drains as shipped)
        env.put("SHUTDOWN_DRAIN_SECONDS", "0");
        return env;
    }

    public static TestService start(Map<String, String> env) throws Exception {
        Main main = ServiceMain.create(env);
        main.start();
        return new TestService(main, env);
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    public Map<String, String> env() {
        return env;
    }

    public DataSource dataSource() {
        return context().getRegistry().lookupByNameAndType("dataSource", DataSource.class);
    }

    /** The registry the management port's /observe/metrics serves. */
    public io.micrometer.core.instrument.MeterRegistry meters() {
        return context().getRegistry().lookupByNameAndType(
                org.apache.camel.component.micrometer.MicrometerConstants.METRICS_REGISTRY_NAME,
                io.micrometer.core.instrument.MeterRegistry.class);
    }

    public Dialect dialect() {
        return env.containsKey("DATABASE_URL") ? Dialect.POSTGRESQL : Dialect.DUCKDB;
    }

    /** A timestamp parameter of this engine; bind it with {@link #at(Instant)}. */
    public String timestampParam() {
        return dialect().timestampParam();
    }

    public String at(Instant instant) {
        return dialect().timestampText(instant);
    }

    public RunRecord runAll() {
        return template.requestBody("direct:refresh-all", null, RunRecord.class);
    }

    /** The endpoint that stands in for the timer after {@link #replaceTimer()}: send to it to tick. */
    public static final String TICK = "direct:timer-tick";

    /** The timer route's id (its YAML). */
    public static final String TIMER_ROUTE = "bq-metadata-refresh-timer";

    /**
     * Replaces the timer of the scheduler route with {@link #TICK}, so a test ticks when it
     * chooses instead of waiting on the wall clock.
     */
    public void replaceTimer() throws Exception {
        AdviceWith.adviceWith(context(), TIMER_ROUTE, route -> route.replaceFromWith(TICK));
    }

    /** One timer tick, as the scheduler route makes it; returns once the route is done with it. */
    public void tick() {
        template.sendBody(TICK, null);
    }

    public TableRefreshResult refreshOne(String tableId) {
        return template.requestBodyAndHeader("direct:refresh-one", null, "bqmc_table_id", tableId,
                TableRefreshResult.class);
    }

    public void registerRemote(String id, String bucket, String sourceTable) throws SQLException {
        register(id, "bigquery", "remote", bucket, sourceTable, null);
    }

    public void register(String id, String sourceType, String queryMode, String bucket, String sourceTable,
                         String bqFqn) throws SQLException {
        update("INSERT INTO table_registry (id, name, source_type, query_mode, bucket, source_table, bq_fqn, registered_by)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, 'test')", id, id, sourceType, queryMode, bucket, sourceTable, bqFqn);
    }

    public int update(String sql, Object... params) throws SQLException {
        try (Connection c = dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            return ps.executeUpdate();
        }
    }

    public List<Map<String, Object>> query(String sql, Object... params) throws SQLException {
        try (Connection c = dataSource().getConnection()) {
            return query(c, sql, params);
        }
    }

    /**
     * The cache row of one table, the same on either engine: JSON lists as compact text,
     * timestamps as the {@link Instant}s they hold; null when absent.
     */
    public Map<String, Object> cacheRow(String tableId) throws SQLException {
        Dialect d = dialect();
        List<Map<String, Object>> rows = query("SELECT table_id, \"rows\", size_bytes, partition_by, "
                + d.jsonListText("clustered_by") + " AS clustered_by, entity_type, "
                + d.jsonListText("known_columns") + " AS known_columns, " + d.epochMicros("refreshed_at")
                + " AS refreshed_at, " + d.epochMicros("error_at") + " AS error_at, error_msg"
                + " FROM bq_metadata_cache WHERE table_id = ?", tableId);
        if (rows.isEmpty()) {
            return null;
        }
        Map<String, Object> row = rows.get(0);
        for (String time : List.of("refreshed_at", "error_at")) {
            Object micros = row.get(time);
            row.put(time, micros == null ? null : Dialect.fromEpochMicros(((Number) micros).longValue()));
        }
        return row;
    }

    static List<Map<String, Object>> query(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                List<Map<String, Object>> out = new ArrayList<>();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        row.put(md.getColumnLabel(i), rs.getObject(i));
                    }
                    out.add(row);
                }
                return out;
            }
        }
    }

    /**
     * Prepares a platform database file before a (child) service opens it: the registry with
     * remote BigQuery rows t0..t(n-1) in dataset ds, and an empty cache table.
     */
    public static void seedRemoteTables(Path db, int tables) throws SQLException {
        try (Connection c = openDuckDb(db); java.sql.Statement s = c.createStatement()) {
            s.execute(RegistryTable.CREATE);
            s.execute(CacheSchema.CREATE);
            s.execute("INSERT INTO table_registry (id, name, source_type, bucket, source_table, query_mode)"
                    + " SELECT 't' || i, 't' || i, 'bigquery', 'ds', 't' || i, 'remote' FROM range(" + tables + ") r(i)");
        }
    }

    /** Opens a DuckDB file directly, for tests that prepare or inspect a database with the service stopped. */
    public static Connection openDuckDb(Path file) throws SQLException {
        return DriverManager.getConnection("jdbc:duckdb:" + file);
    }

    @Override
    public void close() throws Exception {
        template.close();
        main.stop();
    }
}
