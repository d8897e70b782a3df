package io.agnes.bqmc.refresh;

import java.time.Duration;

/**
 * A timer tick found that a run started less than an interval ago (several replicas each have a
 * timer; between them they make one run per interval).
 */
public class RefreshNotDueException extends RefreshRefusedException {

    private final String runId;
    private final Duration ago;

    public RefreshNotDueException(String runId, Duration ago) {
        super("run " + runId + " started " + ago.toSeconds() + " s ago, within the interval", null);
        this.runId = runId;
        this.ago = ago;
    }

    @Override
    public String reason() {
        return "run_id=" + runId + " started " + ago.toSeconds() + " s ago, within the interval";
    }
}
