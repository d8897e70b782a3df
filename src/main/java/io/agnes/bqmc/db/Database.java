package io.agnes.bqmc.db;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.List;
import java.util.logging.Logger;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;

/**
 * The system database as every part of the service sees it: a bounded connection pool
 * ({@link ConnectionPool}) that knows its {@link Dialect}, with our tables prepared in it. On a
 * DuckDB file it recovers by itself from a failed write or a file deleted or replaced under it
 * ({@link DuckDbRecovery}).
 */
public final class Database implements DataSource, AutoCloseable {

    /** Our tables in a freshly opened database: created if missing, brought up to date. */
    @FunctionalInterface
    public interface Preparation {
        void prepare(Connection c) throws SQLException;
    }

    private final DatabaseUrl url;
    private final int poolSize;
    private final Preparation preparation;
    /** Null unless the database is a DuckDB file. */
    private final DuckDbRecovery recovery;
    private volatile HikariDataSource pool;

    private Database(DatabaseUrl url, int poolSize, Preparation preparation, List<String> ownTables,
                     boolean recovers) {
        this.url = url;
        this.poolSize = poolSize;
        this.preparation = preparation;
        Path file = url.dialect() == Dialect.DUCKDB ? ConnectionPool.duckDbFile(url.jdbcUrl()) : null;
        this.recovery = file == null || !recovers ? null : new DuckDbRecovery(url, file, preparation, ownTables);
    }

    /**
     * Opens the pool and prepares our tables.
     *
     * @param ownTables the tables {@code preparation} creates: rebuilt after a failed write
     * @throws SQLException naming the database and the reason, when it cannot be opened or prepared
     */
    public static Database open(DatabaseUrl url, int poolSize, Preparation preparation, List<String> ownTables)
            throws SQLException {
        Database database = new Database(url, poolSize, preparation, ownTables, true);
        database.pool = database.openPool();
        return database;
    }

    /**
     * A pool someone else opened and prepared, as the database of components under test that
     * control its connections: no preparation, no recovery.
     */
    public static Database using(HikariDataSource pool) {
        Database database = new Database(DatabaseUrl.parse(pool.getJdbcUrl()), pool.getMaximumPoolSize(), c -> { },
                List.of(), false);
        database.pool = pool;
        return database;
    }

    private HikariDataSource openPool() throws SQLException {
        HikariDataSource opened = ConnectionPool.open(url, poolSize, recovery);
        try (Connection c = opened.getConnection()) {
            preparation.prepare(c);
        } catch (SQLException e) {
            opened.close();
            throw new SQLException("cannot prepare database " + url + ": " + e.getMessage(), e);
        }
        if (recovery != null) {
            recovery.opened();
        }
        return opened;
    }

    /** For the recovery: the pool closed (the last connection closes DuckDB's instance) and opened anew. */
    void reopen() throws SQLException {
        // Hikari waits for the connections in use to come back
        pool.close();
        pool = openPool();
    }

    public Dialect dialect() {
        return url.dialect();
    }

    public DatabaseUrl url() {
        return url;
    }

    /** Called once a new instance of the file takes writes again (after a delete, a replace, a full disk). */
    public void onRecovery(Runnable listener) {
        if (recovery != null) {
            recovery.onRecovery(listener);
        }
    }

    /** Why writes to the database fail now, or null. */
    public String failure() {
        return recovery == null ? null : recovery.failure();
    }

    /**
     * Before work that exists to write (a run): a failing DuckDB file is reopened now if it can
     * be, else the reason is thrown, rather than the work going on to fail every write.
     */
    public void checkWritable() throws SQLException {
        if (recovery != null) {
            recovery.beforeConnection(this);
            String failure = recovery.failure();
            if (failure != null) {
                throw new SQLException("database " + url + " cannot be written: " + failure);
            }
        }
    }

    /** The pool in use now: for its figures (connections), not to keep. */
    public HikariDataSource pool() {
        return pool;
    }

    @Override
    public Connection getConnection() throws SQLException {
        if (recovery != null) {
            recovery.beforeConnection(this);
        }
        return pool.getConnection();
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("the system database has its credentials");
    }

    @Override
    public void close() {
        pool.close();
    }

    // the rest of DataSource: the pool's

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return pool.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        pool.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        pool.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return pool.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() {
        return Logger.getLogger(Database.class.getName());
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        return pool.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || pool.isWrapperFor(iface);
    }
}
