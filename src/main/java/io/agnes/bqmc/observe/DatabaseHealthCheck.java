package io.agnes.bqmc.observe;

import java.sql.Connection;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.agnes.bqmc.db.Database;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness: DOWN while the system database cannot hand out a working connection, or cannot be
 * written (a full disk, a file deleted under it: {@link Database}); asking is also what
 * makes it try to recover, so an idle service heals as soon as it can. Answers
 * within {@link #ANSWER_SECONDS} whatever the database does: a pool waiting for a server that
 * is gone would otherwise hold the probe for its whole connection timeout. One probe of the
 * database runs at a time; callers meanwhile wait for it, up to that bound.
 */
public class DatabaseHealthCheck extends AbstractHealthCheck {

    static final int ANSWER_SECONDS = 2;

    private static final String UNREACHABLE = "database unreachable: ";

    private final Database dataSource;
    private final DatabaseOutage outage;
    /** One probe at a time, on a thread of Camel's: a caller waits at most {@link #ANSWER_SECONDS} for it. */
    private final ExecutorService prober;
    private Future<String> probe;

    public DatabaseHealthCheck(Database dataSource, DatabaseOutage outage, ExecutorService prober) {
        super("bqmc", "database");
        this.prober = prober;
        this.dataSource = dataSource;
        this.outage = outage;
    }

    @Override
    public boolean isLiveness() {
        // a database outage is not fixed by restarting this service
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        String problem = probe();
        if (problem == null) {
            builder.up();
        } else {
            builder.message(problem).down();
        }
    }

    /** For the {@code bqmc_database_up} gauge: the same probe, the same bound. */
    public boolean reachable() {
        return probe() == null;
    }

    /** Null when the database answers, else what is wrong; within {@link #ANSWER_SECONDS}. */
    private String probe() {
        Future<String> current;
        synchronized (this) {
            if (probe == null || probe.isDone()) {
                probe = prober.submit(this::problem);
            }
            current = probe;
        }
        try {
            String problem = current.get(ANSWER_SECONDS, TimeUnit.SECONDS);
            if (problem == null) {
                outage.reachable();
            } else if (problem.startsWith(UNREACHABLE)) {
                outage.unreachable(problem.substring(UNREACHABLE.length()));
            }
            return problem;
        } catch (TimeoutException e) {
            outage.unreachable("no connection within " + ANSWER_SECONDS + " s");
            return UNREACHABLE + "no connection within " + ANSWER_SECONDS + " s";
        } catch (ExecutionException e) {
            return UNREACHABLE + e.getCause().getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** Null when a connection is valid and writes go through, else what is wrong. */
    private String problem() {
        try (Connection c = dataSource.getConnection()) {
            if (!c.isValid(ANSWER_SECONDS)) {
                return "the database connection is not valid";
            }
        } catch (Exception e) {
            String writes = dataSource.failure();
            return writes != null ? "database cannot be written: " + writes : UNREACHABLE + e.getMessage();
        }
        String writes = dataSource.failure();
        return writes == null ? null : "database cannot be written: " + writes;
    }
}
