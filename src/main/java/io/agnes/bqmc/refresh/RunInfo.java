package io.agnes.bqmc.refresh;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;

import io.agnes.bqmc.support.Times;

/**
 * A run in flight: its identity, where its record starts, and its right to go on.
 *
 * @param origin who started it
 */
public record RunInfo(String runId, Instant startedAt, long startedNanos, RunOrigin origin, RunLease lease) {

    /** Exchange property naming what starts a run; the timer and API routes set it. */
    public static final String TRIGGER = "bqmcTrigger";

    /** The trigger of a single-table refresh, which is not a run but goes through the same steps. */
    public static final String SINGLE = "single";

    private static final SecureRandom RANDOM = new SecureRandom();

    public static RunInfo start(String runId, RunOrigin origin, RunLease lease) {
        return new RunInfo(runId, Times.now(), System.nanoTime(), origin, lease);
    }

    /** {@code timer}, {@code rest}, {@code direct}, or {@link #SINGLE}. */
    public String trigger() {
        return origin.trigger();
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
