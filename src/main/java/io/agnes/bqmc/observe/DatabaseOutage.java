package io.agnes.bqmc.observe;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An outage of the system database as operators need to see it: one WARN when it starts, one
 * INFO with its length when it ends, and meters ({@code bqmc_database_outages_total},
 * {@code bqmc_database_outage_seconds}), instead of a stack trace for every request that fails
 * meanwhile. Told by whoever meets the database: the API's requests and the readiness probe.
 */
public class DatabaseOutage {

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseOutage.class);

    private final Clock clock;
    private final Counter outages;
    private Instant since;

    public DatabaseOutage(MeterRegistry meters, Clock clock) {
        this.clock = clock;
        this.outages = Counter.builder("bqmc.database.outages")
                .description("Outages of the system database seen by this replica (it could not be reached)")
                .register(meters);
        Gauge.builder("bqmc.database.outage.seconds", this, DatabaseOutage::seconds)
                .description("Length of the current database outage, 0 while the database answers").register(meters);
    }

    /** Whether {@code e} (or a cause) says the database cannot be reached, rather than that a statement failed. */
    public static boolean isUnreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException
                    || t instanceof ConnectException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    // 08: connection exception; 57P0x: the server is shutting down or starting
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P0"))) {
                return true;
            }
        }
        return false;
    }

    public synchronized void unreachable(String reason) {
        if (since == null) {
            since = clock.instant();
            outages.increment();
            LOG.warn("database unreachable: {}; the API answers 503 until it is back", reason);
        }
    }

    public synchronized void reachable() {
        if (since != null) {
            Duration length = Duration.between(since, clock.instant());
            since = null;
            LOG.info("database reachable again after an outage of {} s", Math.max(1, length.toSeconds()));
        }
    }

    public synchronized boolean ongoing() {
        return since != null;
    }

    private synchronized double seconds() {
        return since == null ? 0 : Duration.between(since, clock.instant()).toMillis() / 1000.0;
    }
}
