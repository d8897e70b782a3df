package io.agnes.bqmc.observe;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import io.agnes.bqmc.cache.CacheWrites;
import io.agnes.bqmc.refresh.RunInfo;
import io.agnes.bqmc.refresh.RunSummary;
import org.apache.camel.Message;

/**
 * The last runs, kept in {@code bqmc_run_history} (ours, hence the prefix): what the status
 * endpoint shows under {@code last_runs}, what the health check judges, and what survives a
 * restart. The newest {@link #KEEP} runs are kept.
 */
public class RunHistory {

    public static final int KEEP = 200;

    static final String CREATE = """
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

    /** For camel-jdbc, after {@link #recordParameters}. */
    public static final String RECORD = """
            INSERT INTO bqmc_run_history
                (run_id, started_at, finished_at, trigger, total, succeeded, no_data, failed, duration_ms)
            VALUES (:?bqmc_run_id, CAST(:?bqmc_started_at AS TIMESTAMP), CAST(:?bqmc_now AS TIMESTAMP), :?bqmc_trigger,
                :?bqmc_total, :?bqmc_succeeded, :?bqmc_no_data, :?bqmc_failed, :?bqmc_duration_ms)""";

    public static final String PRUNE = "DELETE FROM bqmc_run_history WHERE run_id NOT IN"
            + " (SELECT run_id FROM bqmc_run_history ORDER BY started_at DESC LIMIT " + KEEP + ")";

    private static final String NEWEST = """
            SELECT run_id, CAST(started_at AS VARCHAR), CAST(finished_at AS VARCHAR), trigger, total, succeeded,
                   no_data, failed, duration_ms
            FROM bqmc_run_history ORDER BY started_at DESC LIMIT ?""";

    private static final String LAST_SUCCESS = "SELECT CAST(max(finished_at) AS VARCHAR) FROM bqmc_run_history"
            + " WHERE succeeded > 0 OR total = 0";

    /** One finished run. */
    public record Run(String runId, Instant startedAt, Instant finishedAt, String trigger, int total, int succeeded,
                      int noData, int failed, long durationMs) {

        /**
         * A run counts as successful when it refreshed at least one table, or had nothing to
         * refresh: a run where every lookup failed leaves the cache no fresher.
         */
        public boolean successful() {
            return succeeded > 0 || total == 0;
        }
    }

    private final DataSource dataSource;

    public RunHistory(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public static void createTable(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(CREATE);
        }
    }

    public static void recordParameters(Message m, RunInfo run, RunSummary summary) {
        m.setHeader("bqmc_run_id", run.runId());
        m.setHeader("bqmc_started_at", CacheWrites.naive(run.startedAt().toInstant()));
        m.setHeader("bqmc_now", CacheWrites.nowUtc());
        m.setHeader("bqmc_trigger", run.trigger());
        m.setHeader("bqmc_total", summary.total());
        m.setHeader("bqmc_succeeded", summary.succeeded());
        m.setHeader("bqmc_no_data", summary.noData());
        m.setHeader("bqmc_failed", summary.failed());
        m.setHeader("bqmc_duration_ms", summary.durationMs());
    }

    public List<Run> newest(int limit) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(NEWEST)) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
                List<Run> runs = new ArrayList<>();
                while (rs.next()) {
                    runs.add(new Run(rs.getString(1), CacheWrites.parseNaive(rs.getString(2)),
                            CacheWrites.parseNaive(rs.getString(3)), rs.getString(4), rs.getInt(5), rs.getInt(6),
                            rs.getInt(7), rs.getInt(8), rs.getLong(9)));
                }
                return runs;
            }
        }
    }

    /** When the newest successful run finished, if any. */
    public Optional<Instant> lastSuccess() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(LAST_SUCCESS)) {
            return rs.next() ? Optional.ofNullable(CacheWrites.parseNaive(rs.getString(1))) : Optional.empty();
        }
    }
}
