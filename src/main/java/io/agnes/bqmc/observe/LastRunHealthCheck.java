package io.agnes.bqmc.observe;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import io.agnes.bqmc.history.RunRecord;
import org.apache.camel.health.HealthCheckResultBuilder;

/**
 * Is the cache being kept fresh? Reports the last run's outcome and the age of the last
 * successful one, and turns DOWN when no run succeeded within twice the interval after the
 * first run was due (a fresh start within its grace period is UP). Neither readiness nor
 * liveness: while BigQuery fails, the cached numbers and their verdicts are exactly what
 * analysts need, so a stale cache is an alert, never a reason to take a replica out of service.
 */
public class LastRunHealthCheck extends AlertHealthCheck {

    private final RefreshMetrics monitor;
    private final Clock clock;
    private final Instant firstRunDue;
    private final Duration allowed;

    /**
     * @param startupGrace when the first run is due after start
     * @param allowed      how long the service may go without a successful run (the freshness threshold)
     */
    public LastRunHealthCheck(RefreshMetrics monitor, Duration startupGrace, Duration allowed, Clock clock) {
        super("last-run");
        this.monitor = monitor;
        this.clock = clock;
        this.firstRunDue = clock.instant().plus(startupGrace);
        this.allowed = allowed;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        Instant now = clock.instant();
        RunRecord last = monitor.lastRun();
        if (last != null) {
            builder.detail("last_run_id", last.runId());
            builder.detail("last_run_finished_at", last.finishedAt().toString());
            builder.detail("last_run_trigger", last.trigger());
            builder.detail("last_run_outcome", "total=" + last.total() + " ok=" + last.succeeded() + " no_data="
                    + last.noData() + " failed=" + last.failed());
        }
        Instant success = monitor.lastSuccess();
        if (success != null) {
            builder.detail("last_success_age_seconds", Duration.between(success, now).toSeconds());
        }
        boolean recentSuccess = success != null && Duration.between(success, now).compareTo(allowed) <= 0;
        boolean stillInGrace = now.isBefore(firstRunDue.plus(allowed));
        if (recentSuccess || stillInGrace) {
            builder.up();
        } else {
            builder.message(success == null
                    ? "no successful refresh run since the first one was due"
                    : "no successful refresh run for " + Duration.between(success, now).toSeconds() + " s (limit "
                            + allowed.toSeconds() + " s)").down();
        }
    }
}
