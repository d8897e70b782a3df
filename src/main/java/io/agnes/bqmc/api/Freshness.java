package io.agnes.bqmc.api;

import java.time.Duration;
import java.time.Instant;

/** How much an analyst may trust a cached number (contract section 7). */
public enum Freshness {
    NEVER_FETCHED("never_fetched"), ERROR("error"), FRESH("fresh"), STALE("stale");

    private final String wire;

    Freshness(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    /**
     * Fresh while the last successful refresh is at most {@code threshold} old; without any
     * successful refresh, {@code error} if one was recorded, else {@code never_fetched}.
     */
    public static Freshness of(Instant refreshedAt, Instant errorAt, Instant now, Duration threshold) {
        if (refreshedAt == null) {
            return errorAt == null ? NEVER_FETCHED : ERROR;
        }
        return Duration.between(refreshedAt, now).compareTo(threshold) <= 0 ? FRESH : STALE;
    }
}
