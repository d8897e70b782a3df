package io.agnes.bqmc.cache;

import com.fasterxml.jackson.annotation.JsonValue;

/** How fresh a table's cached numbers are (contract section 7). */
public enum Freshness {
    /** Refreshed within the threshold (twice the interval). */
    FRESH("fresh"),
    /** Refreshed, but longer ago than the threshold. */
    STALE("stale"),
    /** Never refreshed successfully, and an error is recorded. */
    ERROR("error"),
    /** Neither a successful refresh nor an error yet. */
    NEVER_FETCHED("never_fetched");

    private final String wire;

    Freshness(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wire() {
        return wire;
    }

    @Override
    public String toString() {
        return wire;
    }

    /** What {@link #of} takes for a table never refreshed successfully. */
    public static final long NEVER = Long.MIN_VALUE;

    /**
     * The verdict of contract section 7, the one place it is judged for an answer: fresh while the
     * last successful refresh is at or after {@code freshSinceMicros} (now less the threshold);
     * without one, error if an error was recorded, else never_fetched.
     *
     * @param refreshedMicros the last successful refresh in epoch microseconds, or {@link #NEVER}
     */
    public static Freshness of(long refreshedMicros, boolean failed, long freshSinceMicros) {
        if (refreshedMicros == NEVER) {
            return failed ? ERROR : NEVER_FETCHED;
        }
        return refreshedMicros >= freshSinceMicros ? FRESH : STALE;
    }

    /** The verdict for its wire name; null for anything else. */
    public static Freshness fromWire(String text) {
        for (Freshness f : values()) {
            if (f.wire.equals(text)) {
                return f;
            }
        }
        return null;
    }
}
