package io.agnes.bqmc.refresh;

import java.time.Instant;

import io.agnes.bqmc.support.Times;

/** A run was asked for while another is in flight, on this replica or another; names that run. */
public class RefreshAlreadyRunningException extends RefreshRefusedException {

    private final String runId;
    private final Instant startedAt;

    public RefreshAlreadyRunningException(String runId, Instant startedAt) {
        super("A refresh is already in flight: run_id=" + runId + " started_at=" + Times.iso(startedAt), null);
        this.runId = runId;
        this.startedAt = startedAt;
    }

    public String runId() {
        return runId;
    }

    public String startedAtText() {
        return Times.iso(startedAt);
    }

    @Override
    public String reason() {
        return "run_id=" + runId + " is in flight";
    }
}
