package io.agnes.bqmc.history;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.Optional;

import javax.sql.DataSource;

import io.agnes.bqmc.db.Database;
import io.agnes.bqmc.db.Dialect;
import io.agnes.bqmc.db.Tables;
import io.agnes.bqmc.db.Fence;
import io.agnes.bqmc.db.Transaction;

/**
 * The owner of {@code bqmc_run_history} (ours, hence the prefix). A run's row is written when
 * it starts ({@code running}: the row that names the run in flight to every replica) and
 * completed when it finishes; a run whose replica died is marked {@code abandoned} by whoever
 * runs next. The finished rows are what the status shows under {@code last_runs}, what the
 * health check and the metrics judge; the newest {@link #KEEP} are kept.
 */
public class RunHistory {

    public static final int KEEP = 200;

    /** Ours, hence the prefix: the service creates it, and may rebuild it (db.Database). */
    public static final String TABLE = "bqmc_run_history";

    private static final String RUNNING = "running";

    private static final String COLUMNS = "run_id, %1$s, %2$s, trigger, triggered_by, caller, request_id, total,"
            + " succeeded, no_data, failed, duration_ms, status, replica, write_failed";

    private final DataSource dataSource;
    private final Dialect dialect;
    private final String selectColumns;

    public RunHistory(Database database) {
        this.dataSource = database;
        this.dialect = database.dialect();
        this.selectColumns = String.format(COLUMNS, dialect.epochMicros("started_at"), dialect.epochMicros("finished_at"));
    }

    /** Creates the table, or brings one an older version created up to date. */
    public static void ensure(Connection c, Dialect dialect) throws SQLException {
        String ts = dialect.timestampType();
        // only what is missing: a role that may use the table but does not own it (granted by the
        // platform's DBA) cannot ALTER it, not even with IF NOT EXISTS
        Set<String> present = Tables.columns(c, TABLE);
        try (Statement s = c.createStatement()) {
            if (present.isEmpty()) {
                s.execute("CREATE TABLE IF NOT EXISTS bqmc_run_history (\n"
                        + "    run_id VARCHAR PRIMARY KEY,\n"
                        + "    started_at " + ts + " NOT NULL,\n"
                        + "    finished_at " + ts + ",\n"
                        + "    trigger VARCHAR NOT NULL,\n"
                        + "    total INTEGER NOT NULL,\n"
                        + "    succeeded INTEGER NOT NULL,\n"
                        + "    no_data INTEGER NOT NULL,\n"
                        + "    failed INTEGER NOT NULL,\n"
                        + "    duration_ms BIGINT NOT NULL,\n"
                        + "    status VARCHAR NOT NULL DEFAULT 'finished',\n"
                        + "    replica VARCHAR,\n"
                        + "    write_failed INTEGER DEFAULT 0,\n"
                        + "    triggered_by VARCHAR,\n"
                        + "    caller VARCHAR,\n"
                        + "    request_id VARCHAR\n"
                        + ")");
                return;
            }
            // older versions recorded a run only once it finished
            if (!present.contains("status")) {
                s.execute("ALTER TABLE bqmc_run_history ADD COLUMN status VARCHAR DEFAULT 'finished'");
                s.execute("ALTER TABLE bqmc_run_history ALTER COLUMN finished_at DROP NOT NULL");
            }
            if (!present.contains("replica")) {
                s.execute("ALTER TABLE bqmc_run_history ADD COLUMN replica VARCHAR");
            }
            // a run whose cache writes failed is no success (counted since 1.1)
            if (!present.contains("write_failed")) {
                s.execute("ALTER TABLE bqmc_run_history ADD COLUMN write_failed INTEGER DEFAULT 0");
            }
            // who started a run (since 1.2): the token's user and the request, never the token
            for (String column : List.of("triggered_by", "caller", "request_id")) {
                if (!present.contains(column)) {
                    s.execute("ALTER TABLE bqmc_run_history ADD COLUMN " + column + " VARCHAR");
                }
            }
        }
    }

    /** The row that names a run in flight, and who started it. */
    public void started(String runId, Instant startedAt, Origin origin, String replica) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO bqmc_run_history (run_id, started_at, trigger, triggered_by, caller, request_id, total,"
                        + " succeeded, no_data, failed, duration_ms, status, replica) VALUES (?, "
                        + dialect.timestampParam() + ", ?, ?, ?, ?, 0, 0, 0, 0, 0, '" + RUNNING + "', ?)")) {
            int i = 0;
            ps.setString(++i, runId);
            ps.setString(++i, dialect.timestampText(startedAt));
            ps.setString(++i, origin.trigger());
            ps.setString(++i, origin.triggeredBy());
            ps.setString(++i, origin.caller());
            ps.setString(++i, origin.requestId());
            ps.setString(++i, replica);
            ps.executeUpdate();
        }
    }

    /** Who started a run, as its row keeps it (the refresh's {@code RunOrigin}). */
    public interface Origin {
        String trigger();

        String triggeredBy();

        String caller();

        String requestId();
    }

    /**
     * Completes a run's row and forgets the oldest beyond {@link #KEEP}, in one transaction.
     * Returns false when the row was no longer {@code running}: another replica marked the run
     * abandoned, and it stays so.
     */
    public boolean finished(RunRecord run) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return Transaction.run(c, tx -> {
                int updated;
                try (PreparedStatement ps = tx.prepareStatement("UPDATE bqmc_run_history SET finished_at = "
                        + dialect.timestampParam() + ", total = ?, succeeded = ?, no_data = ?, failed = ?,"
                        + " duration_ms = ?, write_failed = ?, status = '" + RunRecord.FINISHED + "' WHERE run_id = ?"
                        + " AND status = '"
                        + RUNNING + "'")) {
                    int i = 0;
                    ps.setString(++i, dialect.timestampText(run.finishedAt()));
                    ps.setInt(++i, run.total());
                    ps.setInt(++i, run.succeeded());
                    ps.setInt(++i, run.noData());
                    ps.setInt(++i, run.failed());
                    ps.setLong(++i, run.durationMs());
                    ps.setInt(++i, run.writeFailed());
                    ps.setString(++i, run.runId());
                    updated = ps.executeUpdate();
                }
                try (Statement prune = tx.createStatement()) {
                    prune.executeUpdate("DELETE FROM bqmc_run_history WHERE run_id NOT IN (SELECT run_id FROM"
                            + " bqmc_run_history ORDER BY started_at DESC LIMIT " + KEEP + ")");
                }
                return updated == 1;
            });
        }
    }

    /**
     * Marks every run still {@code running} as abandoned, as of {@code now}: called by whoever
     * holds the right to run, so none of them can still be alive. Returns how many.
     */
    public int abandonRunning(Instant now) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "UPDATE bqmc_run_history SET status = '" + RunRecord.ABANDONED + "', finished_at = "
                        + dialect.timestampParam() + ", duration_ms = (? - " + dialect.epochMicros("started_at")
                        + ") / 1000 WHERE status = '" + RUNNING + "'")) {
            ps.setString(1, dialect.timestampText(now));
            ps.setLong(2, Dialect.epochMicros(now));
            return ps.executeUpdate();
        }
    }

    /** The run in flight, as its row names it: id and start. */
    public record InFlight(String runId, Instant startedAt) {
    }

    public Optional<InFlight> inFlight() throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT run_id, " + dialect.epochMicros("started_at") + " FROM bqmc_run_history WHERE status = '"
                        + RUNNING + "' ORDER BY started_at DESC LIMIT 1");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(new InFlight(rs.getString(1), Dialect.fromEpochMicros(rs.getLong(2))))
                    : Optional.empty();
        }
    }

    /** The newest run that started less than {@code window} ago, judged on the database's clock. */
    public Optional<InFlight> startedWithin(Duration window) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT run_id, " + dialect.epochMicros("started_at") + ", " + dialect.epochMicros("now()")
                        + " FROM bqmc_run_history ORDER BY started_at DESC LIMIT 1");
             ResultSet rs = ps.executeQuery()) {
            if (rs.next() && rs.getLong(3) - rs.getLong(2) < window.toNanos() / 1000) {
                return Optional.of(new InFlight(rs.getString(1), Dialect.fromEpochMicros(rs.getLong(2))));
            }
            return Optional.empty();
        }
    }

    /**
     * A write may go on only while its run's row is still {@code running}; the row stays
     * share-locked until the write's transaction ends, so a replica that takes over (and marks
     * the run abandoned) waits for it, and every later write of the run sees it abandoned.
     */
    public Fence fence(String runId) {
        return c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM bqmc_run_history WHERE run_id = ? AND status = '"
                    + RUNNING + "' FOR SHARE")) {
                ps.setString(1, runId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new Fence.FencedOffException("run " + runId + " is no longer the run in flight");
                    }
                }
            }
        };
    }

    /** The newest finished or abandoned runs, newest first. */
    public List<RunRecord> newest(int limit) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT " + selectColumns + " FROM bqmc_run_history WHERE status <> '" + RUNNING
                        + "' ORDER BY started_at DESC LIMIT ?")) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
                List<RunRecord> runs = new ArrayList<>();
                while (rs.next()) {
                    runs.add(new RunRecord(rs.getString(1), Dialect.fromEpochMicros(rs.getLong(2)),
                            Dialect.fromEpochMicros(rs.getLong(3)), rs.getString(4), rs.getString(5), rs.getString(6),
                            rs.getString(7), rs.getInt(8), rs.getInt(9), rs.getInt(10), rs.getInt(11), rs.getLong(12),
                            rs.getString(13), rs.getString(14), rs.getInt(15)));
                }
                return runs;
            }
        }
    }

    /** The newest successful run among those kept, if any. */
    public Optional<RunRecord> lastSuccess() throws SQLException {
        return newest(KEEP).stream().filter(RunRecord::successful).findFirst();
    }
}
