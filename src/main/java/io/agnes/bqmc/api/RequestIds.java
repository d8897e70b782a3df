package io.agnes.bqmc.api;

import java.util.UUID;

/**
 * The id every API request carries (contract section 10): the caller's {@code X-Request-Id}
 * when it is sane, at most {@value #MAX_LENGTH} printable ASCII characters without spaces (so
 * it reads as one token in a log line), else a new one. A refused id is never logged.
 */
public final class RequestIds {

    public static final String HEADER = "X-Request-Id";

    static final int MAX_LENGTH = 128;

    private RequestIds() {
    }

    /** The id to use for a request whose header held {@code offered} (null when absent). */
    public static String of(String offered) {
        return sane(offered) ? offered : UUID.randomUUID().toString();
    }

    static boolean sane(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c <= ' ' || c > '~') {
                return false;
            }
        }
        return true;
    }
}
