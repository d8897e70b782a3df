package io.agnes.bqmc.observe;

import java.sql.Connection;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.sql.DataSource;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness: DOWN while the system database cannot hand out a working connection. Answers
 * within {@link #ANSWER_SECONDS} whatever the database does: a pool waiting for a server that
 * is gone would otherwise hold the probe for its whole connection timeout. One probe of the
 * database runs at a time; callers meanwhile wait for it, up to that bound.
 */
public class DatabaseHealthCheck extends AbstractHealthCheck {

    static final int ANSWER_SECONDS = 2;

    private final DataSource dataSource;
    private final ExecutorService prober = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "bqmc-database-probe");
        t.setDaemon(true);
        return t;
    });
    private Future<String> probe;

    public DatabaseHealthCheck(DataSource dataSource) {
        super("bqmc", "database");
        this.dataSource = dataSource;
    }

    @Override
    public boolean isLiveness() {
        // a database outage is not fixed by restarting this service
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
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
                builder.up();
            } else {
                builder.message(problem).down();
            }
        } catch (TimeoutException e) {
            builder.message("database unreachable: no connection within " + ANSWER_SECONDS + " s").down();
        } catch (ExecutionException e) {
            builder.message("database unreachable: " + e.getCause().getMessage()).down();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            builder.down();
        }
    }

    /** Null when a connection is valid, else what is wrong. */
    private String problem() {
        try (Connection c = dataSource.getConnection()) {
            return c.isValid(ANSWER_SECONDS) ? null : "the database connection is not valid";
        } catch (Exception e) {
            return "database unreachable: " + e.getMessage();
        }
    }
}
