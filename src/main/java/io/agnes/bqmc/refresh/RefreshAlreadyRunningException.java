package io.agnes.bqmc.refresh;

/** A run was asked for while another is in flight; carries the run that holds the slot. */
public class RefreshAlreadyRunningException extends RuntimeException {

    private final transient RunInfo inFlight;

    public RefreshAlreadyRunningException(RunInfo inFlight) {
        super("A refresh is already in flight: run_id=" + inFlight.runId() + " started_at=" + inFlight.startedAtText());
        this.inFlight = inFlight;
    }

    public RunInfo inFlight() {
        return inFlight;
    }
}
