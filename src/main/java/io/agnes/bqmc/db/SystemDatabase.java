package io.agnes.bqmc.db;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.slf4j.LoggerFactory;

/**
 * The system database as every part of the service sees it: a {@link Database} pool that
 * recovers by itself from what would otherwise take a restart.
 * <p>
 * DuckDB runs inside this process, and one failed write (a full disk, a file it can no longer
 * write) leaves its database instance unable to write again, even after the cause is gone: every
 * later commit answers "no transaction is active". And a database file deleted or replaced under
 * a running instance is never seen: writes go on into the old file. So every statement's failure
 * is classified as it happens; one that breaks the instance, or a file that is no longer the one
 * opened, marks the database failing, and the next connection asked for, at most every
 * {@link #RECOVERY_INTERVAL_SECONDS} s, closes the pool (the last connection closes the
 * instance), opens a new one on the file as it is now, prepares our tables in it, and proves a
 * write. Until one does, {@link #failure()} says why, and the health check reports the database
 * DOWN. PostgreSQL needs none of this: the server recovers, and the pool replaces broken
 * connections.
 */
public final class SystemDatabase implements DataSource, AutoCloseable {

    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(SystemDatabase.class);

    static final int RECOVERY_INTERVAL_SECONDS = 5;

    /** Room for a few of DuckDB's blocks and its write-ahead log: less, and the reopened instance fails at once. */
    private static final int WRITE_CHECK_BYTES = 1024 * 1024;

    /** Our tables in a freshly opened database: created if missing, brought up to date. */
    @FunctionalInterface
    public interface Preparation {
        void prepare(Connection c) throws SQLException;
    }

    private final DatabaseUrl url;
    private final int poolSize;
    private final Preparation preparation;
    private final List<String> ownTables;
    private final Path file;
    private volatile HikariDataSource pool;
    private volatile Object fileKey;
    /** Why writes fail, or null while they work (as far as anyone knows). */
    private volatile String failure;
    private long nextRecoveryNanos;
    private final List<Runnable> recoveryListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    private SystemDatabase(DatabaseUrl url, int poolSize, Preparation preparation, List<String> ownTables) {
        this.url = url;
        this.poolSize = poolSize;
        this.preparation = preparation;
        this.ownTables = List.copyOf(ownTables);
        this.file = url.dialect() == Dialect.DUCKDB ? Database.duckDbFile(url.jdbcUrl()) : null;
    }

    /**
     * Opens the pool and prepares our tables.
     *
     * @param ownTables the tables {@code preparation} creates: rebuilt after a failed write
     * @throws SQLException naming the database and the reason, when it cannot be opened or prepared
     */
    public static SystemDatabase open(DatabaseUrl url, int poolSize, Preparation preparation, List<String> ownTables)
            throws SQLException {
        SystemDatabase database = new SystemDatabase(url, poolSize, preparation, ownTables);
        database.pool = database.openPool();
        return database;
    }

    private HikariDataSource openPool() throws SQLException {
        HikariDataSource opened = Database.open(url, poolSize);
        try (Connection c = opened.getConnection()) {
            preparation.prepare(c);
        } catch (SQLException e) {
            opened.close();
            throw new SQLException("cannot prepare database " + url + ": " + e.getMessage(), e);
        }
        fileKey = currentFileKey();
        return opened;
    }

    /** Called once a new instance of the file takes writes again (after a delete, a replace, a full disk). */
    public void onRecovery(Runnable listener) {
        recoveryListeners.add(listener);
    }

    /** Why writes to the database fail now, or null. */
    public String failure() {
        return failure;
    }

    /** The pool in use now: for its figures (connections), not to keep. */
    public HikariDataSource pool() {
        return pool;
    }

    public DatabaseUrl url() {
        return url;
    }

    @Override
    public Connection getConnection() throws SQLException {
        if (file != null) {
            checkFile();
            if (failure != null) {
                recover();
            }
        }
        Connection c = pool.getConnection();
        return file == null ? c : watched(c);
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("the system database has its credentials");
    }

    @Override
    public void close() {
        pool.close();
    }

    /** A database file deleted or replaced under the running instance. */
    private void checkFile() {
        if (failure != null) {
            return;
        }
        Object now = currentFileKey();
        if (!Objects.equals(now, fileKey)) {
            failed(now == null ? "the database file " + file + " was deleted"
                    : "the database file " + file + " was replaced");
        }
    }

    private Object currentFileKey() {
        if (file == null) {
            return null;
        }
        try {
            return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return "unreadable: " + e.getMessage();
        }
    }

    private void failed(String why) {
        if (failure == null) {
            LOG.error("database {} cannot be written: {}; it is reopened every {} s until a write goes through", url,
                    why, RECOVERY_INTERVAL_SECONDS);
        }
        failure = why;
    }

    /** Closes the instance, opens the file as it is now, and proves a write; at most every few seconds. */
    private synchronized void recover() {
        long now = System.nanoTime();
        if (failure == null || now < nextRecoveryNanos) {
            return;
        }
        nextRecoveryNanos = now + TimeUnit.SECONDS.toNanos(RECOVERY_INTERVAL_SECONDS);
        // the instance still answers reads: keep it until its directory takes a write again
        boolean sameFile = Objects.equals(currentFileKey(), fileKey);
        if (sameFile && !directoryTakesWrites()) {
            return;
        }
        // the last connection closes DuckDB's instance; Hikari waits for those in use to come back
        pool.close();
        try {
            pool = openPool();
        } catch (SQLException e) {
            failure = Database.rootMessage(e);
            LOG.warn("database {} cannot be reopened yet: {}", url, failure);
            return;
        }
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            if (sameFile) {
                rebuild(c);
            }
            // a real write to the file (created and dropped, nothing stays), through the WAL
            s.execute("CREATE OR REPLACE TABLE bqmc_write_check AS SELECT 1 AS ok");
            s.execute("DROP TABLE bqmc_write_check");
            failure = null;
            LOG.info("database {} can be written again", url);
            recoveryListeners.forEach(Runnable::run);
        } catch (SQLException e) {
            failure = firstLine(e.getMessage());
            LOG.warn("database {} still cannot be written: {}", url, failure);
        }
    }

    /**
     * Our tables, copied into fresh ones. A write that failed half-way can come back from the
     * write-ahead log as keys in a table's primary-key index without their rows (seen on a full
     * disk: every later write of those keys fails as a duplicate); a copy has a new index. The
     * rows are as DuckDB reads them; nothing of the platform's tables is touched.
     */
    private void rebuild(Connection c) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            for (String table : ownTables) {
                s.execute("ALTER TABLE " + table + " RENAME TO " + table + "_rebuild");
            }
            preparation.prepare(c);
            for (String table : ownTables) {
                Set<String> columns = new LinkedHashSet<>(Tables.columns(c, table));
                columns.retainAll(Tables.columns(c, table + "_rebuild"));
                String list = columns.stream().map(col -> '"' + col + '"').collect(Collectors.joining(", "));
                s.execute("INSERT INTO " + table + " (" + list + ") SELECT " + list + " FROM " + table + "_rebuild");
                s.execute("DROP TABLE " + table + "_rebuild");
            }
            c.commit();
            LOG.info("database {}: rebuilt {} after the failed writes", url, String.join(" and ", ownTables));
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    /** Whether the database's directory takes a write of a few blocks now (space, permissions, a mount). */
    private boolean directoryTakesWrites() {
        Path check = file.toAbsolutePath().resolveSibling("." + file.getFileName() + ".write-check");
        try (FileChannel channel = FileChannel.open(check, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.DELETE_ON_CLOSE)) {
            ByteBuffer block = ByteBuffer.allocate(WRITE_CHECK_BYTES);
            while (block.hasRemaining()) {
                channel.write(block);
            }
            channel.force(false);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * DuckDB's words for an instance that cannot write any more: an I/O failure, a commit that
     * lost its transaction, a fatal error that invalidated the instance.
     */
    static boolean breaksInstance(SQLException e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        return m.contains("could not write") || m.contains("no space left") || m.contains("no transaction is active")
                || m.contains("invalidated") || m.contains("fatal error") || m.contains("io error")
                || m.contains("could not read") || m.contains("disk quota");
    }

    private Connection watched(Connection c) {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                new Watch(c));
    }

    /** Sees every failure of a connection and of the statements it made. */
    private final class Watch implements InvocationHandler {

        private final Object target;

        Watch(Object target) {
            this.target = target;
        }

        @Override
        public Object invoke(Object proxy, java.lang.reflect.Method method, Object[] args) throws Throwable {
            Object result;
            try {
                result = method.invoke(target, args);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof SQLException sql && breaksInstance(sql)) {
                    failed(firstLine(sql.getMessage()));
                }
                throw e.getCause();
            }
            if (result instanceof CallableStatement) {
                return statement(result, CallableStatement.class);
            }
            if (result instanceof PreparedStatement) {
                return statement(result, PreparedStatement.class);
            }
            if (result instanceof Statement) {
                return statement(result, Statement.class);
            }
            return result;
        }

        private Object statement(Object statement, Class<?> type) {
            return Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, new Watch(statement));
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
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
        return Logger.getLogger(SystemDatabase.class.getName());
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
