package io.agnes.bqmc.refresh;

import java.util.Optional;

/** The one slot a run needs: at most one run in flight, in this process or across every replica. */
public interface RunGate {

    /**
     * Takes the slot for a new run.
     *
     * @param origin who asks; a timer tick ({@link RunOrigin#tick()}) on a shared database also
     *               gives way when a run started less than an interval ago
     * @throws RefreshRefusedException when the slot is taken, the tick is not due, or the
     *                                 database cannot be asked
     */
    RunInfo enter(RunOrigin origin);

    /** Frees the slot the run took. */
    void leave(RunInfo run);

    /** The run this process holds the slot for, if any. */
    Optional<RunInfo> current();
}
