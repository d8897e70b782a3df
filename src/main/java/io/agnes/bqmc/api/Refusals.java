package io.agnes.bqmc.api;

import java.time.Duration;
import java.util.function.LongSupplier;

import io.agnes.bqmc.auth.AuthenticationFailedException;
import io.agnes.bqmc.support.LogContext;
import io.agnes.bqmc.support.LogText;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Callers the API refused (401, 403), made visible: every refusal counted by endpoint, status
 * and reason ({@code bqmc_http_refused_total}), and told by one INFO line with the client's
 * address (and the request id, as every line of a request has it). The lines are rate-limited so a flood cannot fill the disk: the
 * first {@value #LINES_PER_MINUTE} of each minute are logged, the rest only counted, and the
 * first line of the next minute says how many were left out.
 */
public class Refusals {

    private static final Logger LOG = LoggerFactory.getLogger(Refusals.class);

    static final int LINES_PER_MINUTE = 20;
    private static final long WINDOW = Duration.ofMinutes(1).toNanos();

    private final MeterRegistry meters;
    private final LongSupplier nanos;
    private long windowStart;
    private int logged;
    private long untold;

    public Refusals(MeterRegistry meters, LongSupplier nanos) {
        this.meters = meters;
        this.nanos = nanos;
        this.windowStart = nanos.getAsLong();
    }

    /** Why a request was refused, as the counter's {@code reason} label: a few fixed words. */
    public enum Reason {
        MISSING_TOKEN, UNKNOWN_TOKEN, EXPIRED_TOKEN, TOKEN_IN_URL, NOT_ADMIN;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The reason of a 401, from the authenticator's detail. */
        public static Reason of(String detail) {
            return switch (detail) {
                case AuthenticationFailedException.UNKNOWN -> UNKNOWN_TOKEN;
                case AuthenticationFailedException.EXPIRED -> EXPIRED_TOKEN;
                case AuthenticationFailedException.IN_URL -> TOKEN_IN_URL;
                default -> MISSING_TOKEN;
            };
        }
    }

    /**
     * @param endpoint the API path refused (one of the API's, or {@code other}): never the raw request path
     * @param client   the peer's address
     */
    public void refused(String endpoint, int status, Reason reason, String client, String requestId, String user) {
        refused(endpoint, status, reason.label(), client, requestId, user);
    }

    /** @param reason a few fixed words, as the counter's label ({@link Reason#label()}, or the push token check's) */
    public void refused(String endpoint, int status, String reason, String client, String requestId, String user) {
        Counter.builder("bqmc.http.refused").tag("endpoint", endpoint).tag("status", Integer.toString(status))
                .tag("reason", reason)
                .description("API requests refused for their credentials (401) or role (403)").register(meters)
                .increment();
        long leftOut = admit();
        if (leftOut < 0) {
            return;
        }
        // the request's id as on its other lines: the request_id field (JSON), the line's end (text)
        try (LogContext context = LogContext.request(requestId)) {
            LOG.info("request refused: status={} reason={} endpoint={} client={}{}{}", status, reason, endpoint,
                    client, user == null ? "" : " user=" + LogText.safe(user),
                    leftOut == 0 ? "" : " (" + leftOut + " refusals since the previous such line were only counted)");
        }
    }

    /** -1 when this line is left out; else how many were left out before it. */
    private synchronized long admit() {
        long now = nanos.getAsLong();
        if (now - windowStart >= WINDOW) {
            windowStart = now;
            logged = 0;
        }
        if (logged >= LINES_PER_MINUTE) {
            untold++;
            return -1;
        }
        logged++;
        long leftOut = untold;
        untold = 0;
        return leftOut;
    }
}
