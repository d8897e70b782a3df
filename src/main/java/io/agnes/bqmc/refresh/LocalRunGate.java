package io.agnes.bqmc.refresh;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** The slot in this JVM: enough when only this process runs against the database (DuckDB). */
public class LocalRunGate implements RunGate {

    private final AtomicReference<RunInfo> inFlight = new AtomicReference<>();

    @Override
    public RunInfo enter(RunOrigin origin) {
        RunInfo candidate = RunInfo.start(RunInfo.newId(), origin, RunLease.LOCAL);
        RunInfo holder;
        do {
            if (inFlight.compareAndSet(null, candidate)) {
                return candidate;
            }
            holder = inFlight.get();
        } while (holder == null); // the holder finished between the two reads: try again
        throw new RefreshAlreadyRunningException(holder.runId(), holder.startedAt());
    }

    @Override
    public void leave(RunInfo run) {
        inFlight.compareAndSet(run, null);
    }

    @Override
    public Optional<RunInfo> current() {
        return Optional.ofNullable(inFlight.get());
    }
}
