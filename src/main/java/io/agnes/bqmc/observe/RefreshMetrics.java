package io.agnes.bqmc.observe;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.agnes.bqmc.history.RunHistory;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.refresh.RefreshEvents;
import io.agnes.bqmc.refresh.SingleFlightRoutePolicy;
import io.agnes.bqmc.refresh.TableStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * What the refresh pipeline reports about itself, as Prometheus meters on the management port,
 * and the last run and last success that the readiness check judges. Seeded from
 * {@link RunHistory} at start, so a restart does not forget when the cache was last refreshed.
 */
public class RefreshMetrics implements RefreshEvents {

    private final Clock clock;
    private final MeterRegistry registry;
    private final Counter retries;
    private final Timer runDuration;
    private final AtomicReference<RunRecord> lastRun = new AtomicReference<>();
    private final AtomicReference<Instant> lastSuccess = new AtomicReference<>();

    public RefreshMetrics(MeterRegistry registry, SingleFlightRoutePolicy singleFlight, RunHistory history, Clock clock)
            throws java.sql.SQLException {
        this.clock = clock;
        this.registry = registry;
        List<RunRecord> newest = history.newest(1);
        if (!newest.isEmpty()) {
            lastRun.set(newest.get(0));
        }
        history.lastSuccess().ifPresent(run -> lastSuccess.set(run.finishedAt()));

        retries = Counter.builder("bqmc.bigquery.retries")
                .description("BigQuery requests that were retries of a failed attempt").register(registry);
        runDuration = Timer.builder("bqmc.run.duration").description("Duration of refresh runs")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(10))
                .maximumExpectedValue(Duration.ofHours(2)).register(registry);
        for (TableStatus status : TableStatus.values()) {
            tables(status);
        }
        Gauge.builder("bqmc.run.in.flight", singleFlight, p -> p.current().isPresent() ? 1 : 0)
                .description("1 while a refresh run is in flight, else 0").register(registry);
        Gauge.builder("bqmc.last.successful.run.age", this, RefreshMetrics::lastSuccessAgeSeconds)
                .description("Seconds since the last successful run finished (NaN before the first)")
                .baseUnit("seconds").register(registry);
    }

    private Counter tables(TableStatus status) {
        return Counter.builder("bqmc.tables").tag("outcome", status.wire())
                .description("Tables refreshed, by outcome").register(registry);
    }

    private Counter runs(String trigger) {
        return Counter.builder("bqmc.runs").tag("trigger", trigger).description("Refresh runs finished, by trigger")
                .register(registry);
    }

    @Override
    public void bigQueryRequest(long nanos, String outcome, boolean retry) {
        Timer.builder("bqmc.bigquery.request.duration").tag("outcome", outcome)
                .description("Latency of BigQuery tables.get requests")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60)).register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
        if (retry) {
            retries.increment();
        }
    }

    @Override
    public void tableFinished(TableStatus status) {
        tables(status == null ? TableStatus.ERROR : status).increment();
    }

    @Override
    public void runFinished(RunRecord run) {
        runs(run.trigger()).increment();
        runDuration.record(run.durationMs(), TimeUnit.MILLISECONDS);
        lastRun.set(run);
        if (run.successful()) {
            lastSuccess.set(run.finishedAt());
        }
    }

    public RunRecord lastRun() {
        return lastRun.get();
    }

    public Instant lastSuccess() {
        return lastSuccess.get();
    }

    double lastSuccessAgeSeconds() {
        Instant at = lastSuccess.get();
        return at == null ? Double.NaN : Duration.between(at, clock.instant()).toMillis() / 1000.0;
    }
}
