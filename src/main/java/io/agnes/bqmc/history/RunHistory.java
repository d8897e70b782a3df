package io.agnes.bqmc.history;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import io.agnes.bqmc.db.Transaction;
import io.agnes.bqmc.support.Times;

/**
 * The owner of {@code bqmc_run_history} (ours, hence the prefix): every finished run is recorded
 * here, and the newest are what the status shows under {@code last_runs}, what the health check
 * judges after a restart, and what the metrics are seeded from. The newest {@link #KEEP} are kept.
 */
public class RunHistory {

    public static final int KEEP = 200;

    private static final String CREATE = """
            CREATE TABLE IF NOT EXISTS bqmc_run_history (
                run_id VARCHAR PRIMARY KEY,
                started_at TIMESTAMP NOT NULL,
                finished_at TIMESTAMP NOT NULL,
                trigger VARCHAR NOT NULL,
                total INTEGER NOT NULL,
                succeeded INTEGER NOT NULL,
                no_data INTEGER NOT NULL,
                failed INTEGER NOT NULL,
                duration_ms BIGINT NOT NULL
            )""";

    private static final String INSERT = """
            INSERT INTO bqmc_run_history
                (run_id, started_at, finished_at, trigger, total, succeeded, no_data, failed, duration_ms)
            VALUES (?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?, ?)""";

    private static final String PRUNE = "DELETE FROM bqmc_run_history WHERE run_id NOT IN"
            + " (SELECT run_id FROM bqmc_run_history ORDER BY started_at DESC LIMIT " + KEEP + ")";

    private static final String NEWEST = """
            SELECT run_id, CAST(started_at AS VARCHAR), CAST(finished_at AS VARCHAR), trigger, total, succeeded,
                   no_data, failed, duration_ms
            FROM bqmc_run_history ORDER BY started_at DESC LIMIT ?""";

    private final DataSource dataSource;

    public RunHistory(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public static void ensure(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(CREATE);
        }
    }

    /** Records a finished run and forgets the oldest beyond {@link #KEEP}, in one transaction. */
    public void record(RunRecord run) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            Transaction.run(c, tx -> {
                try (PreparedStatement ps = tx.prepareStatement(INSERT); Statement prune = tx.createStatement()) {
                    int i = 0;
                    ps.setString(++i, run.runId());
                    ps.setString(++i, Times.naive(run.startedAt()));
                    ps.setString(++i, Times.naive(run.finishedAt()));
                    ps.setString(++i, run.trigger());
                    ps.setInt(++i, run.total());
                    ps.setInt(++i, run.succeeded());
                    ps.setInt(++i, run.noData());
                    ps.setInt(++i, run.failed());
                    ps.setLong(++i, run.durationMs());
                    ps.executeUpdate();
                    return prune.executeUpdate(PRUNE);
                }
            });
        }
    }

    /** The newest runs, newest first. */
    public List<RunRecord> newest(int limit) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(NEWEST)) {
            ps.setInt(1, limit);
            return read(ps);
        }
    }

    /** The newest successful run among those kept, if any. */
    public Optional<RunRecord> lastSuccess() throws SQLException {
        return newest(KEEP).stream().filter(RunRecord::successful).findFirst();
    }

    private static List<RunRecord> read(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            List<RunRecord> runs = new ArrayList<>();
            while (rs.next()) {
                runs.add(new RunRecord(rs.getString(1), Times.parseNaive(rs.getString(2)),
                        Times.parseNaive(rs.getString(3)), rs.getString(4), rs.getInt(5), rs.getInt(6), rs.getInt(7),
                        rs.getInt(8), rs.getLong(9)));
            }
            return runs;
        }
    }
}
