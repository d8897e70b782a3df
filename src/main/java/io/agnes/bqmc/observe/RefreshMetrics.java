package io.agnes.bqmc.observe;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import io.agnes.bqmc.history.RunHistory;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.cache.CachedTables;
import io.agnes.bqmc.cache.Freshness;
import io.agnes.bqmc.refresh.RefreshEvents;
import io.agnes.bqmc.refresh.RunProgress;
import io.agnes.bqmc.refresh.SingleFlightRoutePolicy;
import io.agnes.bqmc.refresh.TableStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * What the refresh reports about itself, as Prometheus meters on the management port, and the
 * last run and last success that the health check judges. Those two come from the run history,
 * which every replica shares, so every replica reports the same however many runs it made
 * itself. They are read again in the background once {@link #HISTORY_TTL} old, so a scrape or
 * a health probe never waits on the database; a run of this replica updates them at once.
 */
public class RefreshMetrics implements RefreshEvents {

    static final Duration HISTORY_TTL = Duration.ofSeconds(5);

    private final Clock clock;
    private final MeterRegistry registry;
    private final RunHistory history;
    private final Counter retries;
    private final Timer runDuration;
    private final BooleanSupplier credentialsUsable;
    private final Duration interval;
    private volatile Snapshot snapshot;
    private final AtomicBoolean reading = new AtomicBoolean();
    /** Reads the history in the background, on a thread of Camel's: a scrape never waits for the database. */
    private final ExecutorService reader;
    private final CachedTables cachedTables;

    /** The newest run and the newest successful one, and the tables per verdict, as read at {@code readAt}. */
    private record Snapshot(RunRecord lastRun, Instant lastSuccess, Map<Freshness, Long> verdicts, Instant readAt) {
    }

    /**
     * @param credentialsUsable whether BigQuery's client can be built with its credentials now
     * @param interval          the timer's interval, exported for alert rules to compare against
     */
    public RefreshMetrics(MeterRegistry registry, SingleFlightRoutePolicy singleFlight, RunHistory history,
                          BooleanSupplier credentialsUsable, Duration interval, String replica, Clock clock,
                          ExecutorService reader, CachedTables cachedTables, RunProgress progress)
            throws SQLException {
        this.cachedTables = cachedTables;
        this.reader = reader;
        this.clock = clock;
        this.registry = registry;
        this.history = history;
        this.credentialsUsable = credentialsUsable;
        this.interval = interval;
        this.snapshot = read();

        retries = Counter.builder("bqmc.bigquery.retries")
                .description("BigQuery requests that were retries of a failed attempt").register(registry);
        runDuration = Timer.builder("bqmc.run.duration").description("Duration of refresh runs")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(10))
                .maximumExpectedValue(Duration.ofHours(2)).register(registry);
        for (TableStatus status : TableStatus.values()) {
            tables(status);
        }
        // at 0 from the start, so that an alert on its increase sees the first failure
        for (String trigger : List.of("timer", "rest", "direct")) {
            runsFailed(trigger);
        }
        Gauge.builder("bqmc.run.in.flight", singleFlight, p -> p.current().isPresent() ? 1 : 0)
                .description("1 while this replica runs a refresh, else 0").register(registry);
        Gauge.builder("bqmc.run.lock.held", singleFlight, p -> p.current().isPresent() ? 1 : 0).tag("replica", replica)
                .description("1 on the replica that holds the run lock (runs the refresh in flight), else 0")
                .register(registry);
        // gauges hold their object weakly: each reads this one, which the registry's owners keep
        Gauge.builder("bqmc.bigquery.credentials.ok", this, m -> m.credentialsUsable.getAsBoolean() ? 1 : 0)
                .description("1 while the BigQuery credentials are usable, 0 while every table ends no_data for want of them")
                .register(registry);
        Gauge.builder("bqmc.last.successful.run.age", this, RefreshMetrics::lastSuccessAgeSeconds)
                .description("Seconds since the last successful run finished (NaN before the first)")
                .baseUnit("seconds").register(registry);
        // 0 before the first success, so "time() - this > limit" fires for a cache that was never refreshed
        Gauge.builder("bqmc.last.successful.run.timestamp", this, RefreshMetrics::lastSuccessEpochSeconds)
                .description("When the last successful run finished, in seconds since the epoch (0 before the first)")
                .baseUnit("seconds").register(registry);
        for (TableStatus outcome : TableStatus.values()) {
            Gauge.builder("bqmc.last.run.tables", this, m -> m.lastRunTables(outcome)).tag("outcome", outcome.wire())
                    .description("Tables of the newest finished run (any replica's), by outcome").register(registry);
        }
        for (Freshness verdict : Freshness.values()) {
            Gauge.builder("bqmc.cache.tables", this, m -> m.current().verdicts().getOrDefault(verdict, 0L))
                    .tag("freshness", verdict.wire())
                    .description("Remote tables by freshness verdict now, as the status judges them (every replica's"
                            + " view of the shared cache)").register(registry);
        }
        // the run in flight on this replica, as it goes (0 between runs)
        Gauge.builder("bqmc.run.tables.expected", progress, p -> p.current() == null ? 0 : p.current().total())
                .description("Remote tables the run in flight takes on (0 while none is in flight here)")
                .register(registry);
        for (TableStatus outcome : TableStatus.values()) {
            Gauge.builder("bqmc.run.tables.done", progress, p -> done(p.current(), outcome))
                    .tag("outcome", outcome.wire())
                    .description("Tables the run in flight has finished so far, by outcome (0 while none is in flight)")
                    .register(registry);
        }
        Gauge.builder("bqmc.run.started.timestamp", progress,
                        p -> p.current() == null ? 0 : p.current().startedAt().toEpochMilli() / 1000.0)
                .description("When the run in flight here started, in seconds since the epoch (0 while none is)")
                .baseUnit("seconds").register(registry);
        Gauge.builder("bqmc.refresh.interval", this, m -> m.interval.toSeconds())
                .description("The timer's interval (SCHEDULER_BQ_METADATA_REFRESH_INTERVAL), for alert rules")
                .baseUnit("seconds").register(registry);
    }

    private static double done(RunProgress.Snapshot run, TableStatus outcome) {
        return run == null ? 0 : of(outcome, run.ok(), run.noData(), run.error());
    }

    /** The count of one outcome among a run's three. */
    private static double of(TableStatus outcome, long ok, long noData, long error) {
        return switch (outcome) {
            case OK -> ok;
            case NO_DATA -> noData;
            case ERROR -> error;
        };
    }

    private Snapshot read() throws SQLException {
        List<RunRecord> newest = history.newest(1);
        Optional<RunRecord> success = history.lastSuccess();
        Instant now = clock.instant();
        return new Snapshot(newest.isEmpty() ? null : newest.get(0), success.map(RunRecord::finishedAt).orElse(null),
                cachedTables.countByFreshness(now), now);
    }

    /** The history as last read; past its age a new reading starts in the background. */
    private Snapshot current() {
        Snapshot s = snapshot;
        if (Duration.between(s.readAt(), clock.instant()).compareTo(HISTORY_TTL) > 0 && reading.compareAndSet(false, true)) {
            reader.execute(() -> {
                try {
                    snapshot = read();
                } catch (SQLException e) {
                    // the database check reports the outage; these figures stay as they were
                } finally {
                    reading.set(false);
                }
            });
        }
        return s;
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
    public void runFailed(String trigger) {
        runsFailed(trigger).increment();
    }

    private Counter runsFailed(String trigger) {
        return Counter.builder("bqmc.runs.failed").tag("trigger", trigger)
                .description("Refresh runs that ended with an error instead of a summary, by trigger").register(registry);
    }

    @Override
    public void tableFinished(TableStatus status) {
        tables(status == null ? TableStatus.ERROR : status).increment();
    }

    @Override
    public void runFinished(RunRecord run) {
        runs(run.trigger()).increment();
        runDuration.record(run.durationMs(), TimeUnit.MILLISECONDS);
        Snapshot s = snapshot;
        snapshot = new Snapshot(run, run.successful() ? run.finishedAt() : s.lastSuccess(), s.verdicts(), clock.instant());
    }

    public RunRecord lastRun() {
        return current().lastRun();
    }

    public Instant lastSuccess() {
        return current().lastSuccess();
    }

    double lastRunTables(TableStatus outcome) {
        RunRecord run = lastRun();
        return run == null ? 0 : of(outcome, run.succeeded(), run.noData(), run.failed());
    }

    double lastSuccessEpochSeconds() {
        Instant at = lastSuccess();
        return at == null ? 0 : at.toEpochMilli() / 1000.0;
    }

    double lastSuccessAgeSeconds() {
        Instant at = lastSuccess();
        return at == null ? Double.NaN : Duration.between(at, clock.instant()).toMillis() / 1000.0;
    }
}
