package io.agnes.bqmc.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agnes.bqmc.db.Database;
import io.agnes.bqmc.db.Dialect;
import io.agnes.bqmc.db.Tables;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.LogText;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the platform's {@code audit_log} rows (contract section 10) where the database has that
 * table, and nothing anywhere else: the service never creates it. Rows are written by one
 * thread of Camel's, in the order they come, off the request's path; a write that fails is
 * counted and told by one WARN per streak of failures, and never reaches the request it
 * describes. At most {@link #QUEUE} rows wait; beyond that a row is dropped and counted.
 */
public class AuditTrail {

    private static final Logger LOG = LoggerFactory.getLogger(AuditTrail.class);

    public static final String TABLE = "audit_log";

    /** Rows waiting for the writer: far more than a burst of admin calls, bounded against a flood. */
    public static final int QUEUE = 1000;

    /** A database without the table is asked again this often: the platform's migrations may come later. */
    static final Duration RECHECK = Duration.ofMinutes(1);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Database database;
    private final Dialect dialect;
    private final ExecutorService writer;
    private final LongSupplier nanos;
    private final String insert;
    private final Counter written;
    private final Counter failed;
    private final Counter dropped;
    private final Counter skipped;

    // the writer's own state: only its thread reads and writes these
    private Boolean present;
    private long checkedAt;
    private long failing;
    private volatile boolean dropping;

    /** @param writer a single thread with a queue of at most {@link #QUEUE} (rejects beyond it) */
    public AuditTrail(Database database, ExecutorService writer, MeterRegistry meters, LongSupplier nanos) {
        this.database = database;
        this.dialect = database.dialect();
        this.writer = writer;
        this.nanos = nanos;
        this.insert = "INSERT INTO audit_log (id, timestamp, user_id, action, resource, params, result, duration_ms,"
                + " client_ip, client_kind, correlation_id) VALUES (?, " + dialect.timestampParam() + ", ?, ?, ?, "
                + dialect.jsonParam() + ", ?, ?, ?, ?, ?)";
        String description = "Rows for the platform's audit_log: written, failed (the request was answered"
                + " anyway), dropped (more than " + QUEUE + " waiting), or skipped (the database has no audit_log)";
        this.written = Counter.builder("bqmc.audit.rows").tag("outcome", "written").description(description).register(meters);
        this.failed = Counter.builder("bqmc.audit.rows").tag("outcome", "failed").description(description).register(meters);
        this.dropped = Counter.builder("bqmc.audit.rows").tag("outcome", "dropped").description(description).register(meters);
        this.skipped = Counter.builder("bqmc.audit.rows").tag("outcome", "skipped").description(description).register(meters);
    }

    /** Hands the row to the writer; returns at once, whatever becomes of it. */
    public void record(AuditEntry entry) {
        try {
            writer.execute(() -> write(entry));
            dropping = false;
        } catch (RejectedExecutionException e) {
            dropped.increment();
            if (!dropping) {
                dropping = true;
                LOG.warn("audit_log: {} rows are waiting for the database; further rows are dropped (counted in"
                        + " bqmc_audit_rows_total{{outcome=\"dropped\"}}) until there is room", QUEUE);
            }
        }
    }

    /** The timer's run, as the platform's scheduler records its jobs: no user, no address, no request. */
    public void timerRun(RunRecord run) {
        record(new AuditEntry(run.finishedAt(), null, AuditEntry.RUN_ACTION, AuditEntry.RUN_RESOURCE, counters(run),
                AuditEntry.SUCCESS, run.durationMs(), null, AuditEntry.SCHEDULER, null));
    }

    /** The run's counters, as the platform's {@code params} of {@value AuditEntry#RUN_ACTION}. */
    public static String counters(RunRecord run) {
        return params("run_id", run.runId(), "total", run.total(), "succeeded", run.succeeded(), "no_data", run.noData(),
                "failed", run.failed(), "duration_ms", run.durationMs());
    }

    /** A JSON object of the given names and values (strings, numbers or null), for {@code params}. */
    public static String params(Object... namesAndValues) {
        ObjectNode params = JSON.createObjectNode();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            params.set((String) namesAndValues[i], JSON.valueToTree(namesAndValues[i + 1]));
        }
        return params.toString();
    }

    private void write(AuditEntry entry) {
        try {
            if (!present()) {
                skipped.increment();
                return;
            }
            try (Connection c = database.getConnection(); PreparedStatement ps = c.prepareStatement(insert)) {
                int i = 0;
                ps.setString(++i, UUID.randomUUID().toString());
                ps.setString(++i, dialect.timestampText(entry.at()));
                ps.setString(++i, entry.userId());
                ps.setString(++i, entry.action());
                ps.setString(++i, entry.resource());
                ps.setString(++i, entry.params());
                ps.setString(++i, entry.result());
                if (entry.durationMs() == null) {
                    ps.setNull(++i, Types.INTEGER);
                } else {
                    ps.setInt(++i, (int) Math.min(Integer.MAX_VALUE, entry.durationMs()));
                }
                ps.setString(++i, entry.clientIp());
                ps.setString(++i, entry.clientKind());
                ps.setString(++i, entry.correlationId());
                ps.executeUpdate();
            }
            written.increment();
            if (failing > 0) {
                LOG.info("audit_log: rows are written again; {} could not be", failing);
                failing = 0;
            }
        } catch (SQLException | RuntimeException e) {
            failed.increment();
            if (failing++ == 0) {
                LOG.warn("audit_log: a row could not be written ({} by {}: {}); the request was answered as if it had"
                        + " been. Until a row is written again, failures are only counted"
                        + " (bqmc_audit_rows_total{{outcome=\"failed\"}})", entry.action(),
                        entry.userId() == null ? "the scheduler" : LogText.safe(entry.userId()),
                        LogText.safe(e.getMessage()));
            }
            present = null; // the table may have gone: asked again before the next row
        }
    }

    /** Whether the database has the platform's table; asked again now and then while it has not. */
    private boolean present() throws SQLException {
        long now = nanos.getAsLong();
        if (present == null || !present && now - checkedAt >= RECHECK.toNanos()) {
            try (Connection c = database.getConnection()) {
                present = !Tables.columns(c, TABLE).isEmpty();
            }
            checkedAt = now;
        }
        return present;
    }
}
