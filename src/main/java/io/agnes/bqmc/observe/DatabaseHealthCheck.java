package io.agnes.bqmc.observe;

import java.sql.Connection;
import java.util.Map;

import javax.sql.DataSource;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/** Readiness: DOWN while the system database cannot hand out a working connection. */
public class DatabaseHealthCheck extends AbstractHealthCheck {

    static final int VALIDATION_TIMEOUT_SECONDS = 2;

    private final DataSource dataSource;

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
        try (Connection c = dataSource.getConnection()) {
            if (c.isValid(VALIDATION_TIMEOUT_SECONDS)) {
                builder.up();
            } else {
                builder.message("the database connection is not valid").down();
            }
        } catch (Exception e) {
            builder.message("database unreachable: " + e.getMessage()).down();
        }
    }
}
