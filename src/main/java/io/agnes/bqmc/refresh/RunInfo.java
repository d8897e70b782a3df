package io.agnes.bqmc.refresh;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;

import io.agnes.bqmc.support.Times;

/**
 * A run in flight: its identity, where its record starts, and its right to go on.
 *
 * @param trigger who started it: {@code timer}, {@code rest}, or {@code direct}; {@link #SINGLE} for a single-table refresh
 */
public record RunInfo(String runId, Instant startedAt, long startedNanos, String trigger, RunLease lease) {

    /** Exchange property naming what starts a run; the timer and API routes set it. */
    public static final String TRIGGER = "bqmcTrigger";

    /** The trigger of a single-table refresh, which is not a run but goes through the same steps. */
    public static final String SINGLE = "single";

    private static final SecureRandom RANDOM = new SecureRandom();

    public static RunInfo start(String runId, String trigger, RunLease lease) {
        return new RunInfo(runId, Times.now(), System.nanoTime(), trigger, lease);
    }

    /** 8 random hex characters, as run ids have always looked. */
    public static String newId() {
        byte[] id = new byte[4];
        RANDOM.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    public long elapsedMs() {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }
}
