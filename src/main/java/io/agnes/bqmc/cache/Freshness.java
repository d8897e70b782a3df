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
