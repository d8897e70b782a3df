package io.agnes.bqmc.db;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.zaxxer.hikari.SQLExceptionOverride;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a DuckDB database recovers by itself from what would otherwise take a restart.
 * <p>
 * DuckDB runs inside this process, and one failed write (a full disk, a file it can no longer
 * write) leaves its database instance unable to write again, even after the cause is gone: every
 * later commit answers "no transaction is active". And a database file deleted or replaced under
 * a running instance is never seen: writes go on into the old file. So HikariCP hands every
 * {@link SQLException} of its connections, statements and result sets to {@link #adjudicate};
 * one that breaks the instance, or a file that is no longer the one opened, marks the database
 * failing, and the next connection asked for, at most every {@link #RECOVERY_INTERVAL_SECONDS} s,
 * has the pool closed (the last connection closes the instance) and a new one opened on the
 * file as it is now, our tables prepared in it and a write proved. Until one does,
 * {@link #failure()} says why, and the health check reports the database DOWN. PostgreSQL needs
 * none of this: the server recovers, and the pool replaces broken connections.
 */
final class DuckDbRecovery implements SQLExceptionOverride {

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    static final int RECOVERY_INTERVAL_SECONDS = 5;

    /** Room for a few of DuckDB's blocks and its write-ahead log: less, and the reopened instance fails at once. */
    private static final int WRITE_CHECK_BYTES = 1024 * 1024;

    private final DatabaseUrl url;
    private final Path file;
    private final Database.Preparation preparation;
    private final List<String> ownTables;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile Object fileKey;
    /** Why writes fail, or null while they work (as far as anyone knows). */
    private volatile String failure;
    private long nextRecoveryNanos;

    DuckDbRecovery(DatabaseUrl url, Path file, Database.Preparation preparation, List<String> ownTables) {
        this.url = url;
        this.file = file;
        this.preparation = preparation;
        this.ownTables = List.copyOf(ownTables);
    }

    /** Every failure of a statement of ours, as HikariCP sees it; whether to evict the connection stays HikariCP's call. */
    @java.lang.Override
    public Override adjudicate(SQLException e) {
        if (breaksInstance(e)) {
            failed(firstLine(e.getMessage()));
        }
        return Override.CONTINUE_EVICT;
    }

    String failure() {
        return failure;
    }

    void onRecovery(Runnable listener) {
        listeners.add(listener);
    }

    /** A new pool is open on the file: it is the one to watch. */
    void opened() {
        fileKey = currentFileKey();
    }

    /** Before a connection is handed out: the file checked, and a failing database reopened when it is time. */
    void beforeConnection(Database database) {
        if (failure == null) {
            Object now = currentFileKey();
            if (!Objects.equals(now, fileKey)) {
                failed(now == null ? "the database file " + file + " was deleted"
                        : "the database file " + file + " was replaced");
            }
        }
        if (failure != null) {
            recover(database);
        }
    }

    private Object currentFileKey() {
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
    private synchronized void recover(Database database) {
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
        try {
            database.reopen();
        } catch (SQLException e) {
            failure = ConnectionPool.rootMessage(e);
            LOG.warn("database {} cannot be reopened yet: {}", url, failure);
            return;
        }
        try (Connection c = database.pool().getConnection(); Statement s = c.createStatement()) {
            if (sameFile) {
                rebuild(c);
            }
            // a real write to the file (created and dropped, nothing stays), through the WAL
            s.execute("CREATE OR REPLACE TABLE bqmc_write_check AS SELECT 1 AS ok");
            s.execute("DROP TABLE bqmc_write_check");
            failure = null;
            LOG.info("database {} can be written again", url);
            listeners.forEach(Runnable::run);
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

    private static String firstLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
