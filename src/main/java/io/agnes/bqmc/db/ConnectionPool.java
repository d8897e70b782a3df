package io.agnes.bqmc.db;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Properties;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.SQLExceptionOverride;

/**
 * Opens the system database as a bounded connection pool. A database that cannot be opened
 * (missing directory, a file locked by another process, a server that refuses) fails here, with
 * the driver's reason and the URL without its credentials.
 */
public final class ConnectionPool {

    /**
     * Connections per replica: the cache writer (one thread), the run's registry read and
     * history rows, and the API's status reads beside them. The lookups never hold one.
     */
    public static final int POOL_SIZE = 10;

    /** How long to wait for a server to accept a new connection. */
    static final int CONNECT_TIMEOUT_SECONDS = 5;

    /**
     * How long a caller waits for a connection from the pool: while the database is unreachable
     * an API request answers 503 within 2 s, rather than after the server's connect timeout.
     */
    static final long POOL_WAIT_MS = 1500;

    /** No statement of ours takes long; one that does is stuck. */
    static final int STATEMENT_TIMEOUT_SECONDS = 60;

    /**
     * A transaction left open by a frozen or vanished client holds its row locks; the server
     * ends it after this long, so the replica that takes over is never blocked for longer.
     */
    static final int IDLE_IN_TRANSACTION_SECONDS = 30;

    private ConnectionPool() {
    }

    /**
     * @param poolSize  the most connections the pool opens: on PostgreSQL each is a server process
     * @param failures  sees every failure of the pool's connections and statements (null: none)
     */
    public static HikariDataSource open(DatabaseUrl url, int poolSize, SQLExceptionOverride failures)
            throws SQLException {
        createParentDirectory(url.jdbcUrl());
        HikariConfig config = new HikariConfig();
        config.setPoolName("bqmc-db");
        config.setJdbcUrl(url.jdbcUrl());
        config.setUsername(url.user());
        config.setPassword(url.password());
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(POOL_WAIT_MS);
        if (failures != null) {
            config.setExceptionOverride(failures);
        }
        if (url.dialect() == Dialect.POSTGRESQL) {
            config.setDataSourceProperties(postgresProperties(STATEMENT_TIMEOUT_SECONDS));
        } else if (duckDbFile(url.jdbcUrl()) != null) {
            config.setDataSourceProperties(duckDbProperties());
        }
        // fail the start with the driver's own reason rather than after a timeout
        config.setInitializationFailTimeout(1);
        try {
            return new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new SQLException("cannot open database " + url + ": " + rootMessage(e), e);
        }
    }

    /** The PostgreSQL driver's settings for a connection of ours: timeouts, keepalive, and a name in pg_stat_activity. */
    static Properties postgresProperties(int socketTimeoutSeconds) {
        Properties p = new Properties();
        p.setProperty("ApplicationName", "bq-metadata-cache");
        p.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
        p.setProperty("loginTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
        p.setProperty("socketTimeout", Integer.toString(socketTimeoutSeconds));
        p.setProperty("tcpKeepAlive", "true");
        p.setProperty("options", "-c statement_timeout=" + STATEMENT_TIMEOUT_SECONDS * 1000
                + " -c idle_in_transaction_session_timeout=" + IDLE_IN_TRANSACTION_SECONDS * 1000);
        return p;
    }

    /**
     * DuckDB's allocator (jemalloc on Linux) may keep up to 128 MB it no longer uses after a task
     * before it flushes; the service's statements need a few MB. (The rest of the allocator's
     * settings can only come from the environment: DUCKDB_JE_MALLOC_CONF in deploy/.) No
     * {@code memory_limit}: a 100,000-row registry import in one transaction needs more than a
     * tight cap allows, and a 32 MB cap did not lower the peak (docs/BENCHMARKS.md, B9).
     */
    static Properties duckDbProperties() {
        Properties p = new Properties();
        p.setProperty("allocator_flush_threshold", DUCKDB_ALLOCATOR_FLUSH_THRESHOLD);
        return p;
    }

    /** Unused memory DuckDB's allocator may keep after a task. */
    static final String DUCKDB_ALLOCATOR_FLUSH_THRESHOLD = "8MB";

    /** DuckDB creates the file but not its directory; {@code data/} should just work. */
    private static void createParentDirectory(String url) {
        Path file = duckDbFile(url);
        if (file == null) {
            return;
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (Exception ignored) {
            // the driver's own error on open names the problem better
        }
    }

    /** The file of a {@code jdbc:duckdb:} URL; null for another database or an in-memory one. */
    static Path duckDbFile(String url) {
        String prefix = "jdbc:duckdb:";
        if (!url.startsWith(prefix)) {
            return null;
        }
        String file = url.substring(prefix.length());
        int query = file.indexOf('?');
        if (query >= 0) {
            file = file.substring(0, query);
        }
        if (file.isEmpty() || file.startsWith(":memory:")) {
            return null;
        }
        return Path.of(file);
    }

    public static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
