package io.agnes.bqmc.db;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * Opens the system database as a small connection pool. A database that cannot be opened
 * (missing directory, a file locked by another process) fails here, with the driver's reason.
 */
public final class Database {

    private Database() {
    }

    /**
     * @param poolSize DuckDB is in-process, so connections are cheap, but each refresh thread
     *                 may write while the API reads beside it
     */
    public static HikariDataSource open(String jdbcUrl, int poolSize) throws SQLException {
        createParentDirectory(jdbcUrl);
        HikariConfig config = new HikariConfig();
        config.setPoolName("bqmc-db");
        config.setJdbcUrl(jdbcUrl);
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(30_000);
        // fail the start with the driver's own reason rather than after a timeout
        config.setInitializationFailTimeout(1);
        try {
            return new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new SQLException("cannot open database " + jdbcUrl + ": " + rootMessage(e), e);
        }
    }

    /** DuckDB creates the file but not its directory; {@code data/} should just work. */
    private static void createParentDirectory(String url) {
        String prefix = "jdbc:duckdb:";
        if (!url.startsWith(prefix)) {
            return;
        }
        String file = url.substring(prefix.length());
        int query = file.indexOf('?');
        if (query >= 0) {
            file = file.substring(0, query);
        }
        if (file.isEmpty() || file.startsWith(":memory:")) {
            return;
        }
        try {
            Files.createDirectories(Path.of(file).toAbsolutePath().getParent());
        } catch (Exception ignored) {
            // the driver's own error on open names the problem better
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
