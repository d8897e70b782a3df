package io.agnes.bqmc.auth;

import java.util.Locale;

/** What a token may do: admins run refreshes, analysts read status. */
public enum Role {
    ADMIN, ANALYST;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code admin} or {@code analyst}; null for anything else. */
    public static Role parse(String text) {
        for (Role r : values()) {
            if (r.wire().equals(text)) {
                return r;
            }
        }
        return null;
    }
}
