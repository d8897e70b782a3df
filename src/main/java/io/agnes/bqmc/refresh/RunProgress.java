package io.agnes.bqmc.refresh;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.agnes.bqmc.history.RunRecord;

/**
 * The run in flight on this replica as it goes: how many tables it takes on, how many it has
 * finished by outcome, and each table as it finishes, told to whoever listens (the live
 * progress stream, the progress gauges). Listeners are called on the run's own threads and must
 * not block: a listener that cannot keep up drops what it cannot take, never the run.
 */
public final class RunProgress {

    /** Told the run's events; called on the run's threads, so it only ever hands them on. */
    public interface Listener {
        void started(Snapshot run);

        void row(String runId, String tableId, TableStatus status, Long fetchMs);

        /** @param record the run's record; its counters are the run's whole story */
        void completed(RunRecord record);

        /** The run ended with an error instead of a record (the database went away under it). */
        void failed(Snapshot run, String reason);
    }

    /**
     * Where a run stands.
     *
     * @param total the remote tables it takes on, counted as it started
     */
    public record Snapshot(String runId, Instant startedAt, long total, long ok, long noData, long error,
                           String replica, String trigger) {

        public long done() {
            return ok + noData + error;
        }

        /** Tables a second since the start; 0 before the first. */
        public double rate(Instant now) {
            double seconds = Math.max(0.001, Duration.between(startedAt, now).toMillis() / 1000.0);
            return done() / seconds;
        }

        /** Seconds left at the rate so far; null before the first table. */
        public Long etaSeconds(Instant now) {
            double rate = rate(now);
            return done() == 0 || rate <= 0 ? null : Math.max(0, Math.round((total - done()) / rate));
        }
    }

    private final String replica;
    private final Set<Listener> listeners = ConcurrentHashMap.newKeySet();
    private volatile Run current;

    /** The counters of the run in flight. */
    private static final class Run {
        final String runId;
        final Instant startedAt;
        final long total;
        final String trigger;
        final AtomicLong ok = new AtomicLong();
        final AtomicLong noData = new AtomicLong();
        final AtomicLong error = new AtomicLong();

        Run(String runId, Instant startedAt, long total, String trigger) {
            this.runId = runId;
            this.startedAt = startedAt;
            this.total = total;
            this.trigger = trigger;
        }
    }

    /** @param replica this replica's name, in every snapshot */
    public RunProgress(String replica) {
        this.replica = replica;
    }

    public void listen(Listener listener) {
        listeners.add(listener);
    }

    public void stopListening(Listener listener) {
        listeners.remove(listener);
    }

    /** The run in flight on this replica, or null. */
    public Snapshot current() {
        Run run = current;
        return run == null ? null : snapshot(run);
    }

    private Snapshot snapshot(Run run) {
        return new Snapshot(run.runId, run.startedAt, run.total, run.ok.get(), run.noData.get(), run.error.get(), replica,
                run.trigger);
    }

    void started(RunInfo run, long total) {
        Run started = new Run(run.runId(), run.startedAt(), total, run.origin().triggeredBy());
        current = started;
        Snapshot snapshot = snapshot(started);
        listeners.forEach(l -> l.started(snapshot));
    }

    void tableFinished(RunInfo run, String tableId, TableStatus status, Long fetchMs) {
        Run in = current;
        if (in == null || !in.runId.equals(run.runId())) {
            return; // a single-table refresh, or a table of a run this replica no longer counts
        }
        (status == TableStatus.OK ? in.ok : status == TableStatus.NO_DATA ? in.noData : in.error).incrementAndGet();
        listeners.forEach(l -> l.row(in.runId, tableId, status, fetchMs));
    }

    void finished(RunRecord record) {
        Run in = current;
        if (in != null && in.runId.equals(record.runId())) {
            current = null;
        }
        listeners.forEach(l -> l.completed(record));
    }

    void failed(RunInfo run, String reason) {
        Run in = current;
        if (in == null || !in.runId.equals(run.runId())) {
            return;
        }
        current = null;
        Snapshot snapshot = snapshot(in);
        listeners.forEach(l -> l.failed(snapshot, reason));
    }
}
