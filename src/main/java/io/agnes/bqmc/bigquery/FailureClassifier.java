package io.agnes.bqmc.bigquery;

import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Set;

import com.google.cloud.bigquery.BigQueryException;
import org.apache.http.ConnectionClosedException;
import org.apache.http.NoHttpResponseException;

/**
 * Decides which BigQuery failures are worth another attempt (contract section 5): throttling,
 * server-side errors, and the network failing under us. Client errors (400, 401, 403
 * accessDenied/quotaExceeded, 404) and unreadable answers are final.
 */
public final class FailureClassifier {

    private static final Set<Integer> RETRYABLE_STATUS = Set.of(429, 500, 502, 503, 504);
    private static final Set<String> RETRYABLE_403_REASONS = Set.of("rateLimitExceeded", "backendError");

    private FailureClassifier() {
    }

    public static boolean isRetryable(BigQueryException e) {
        int code = e.getCode();
        if (RETRYABLE_STATUS.contains(code)) {
            return true;
        }
        if (code == 403) {
            return RETRYABLE_403_REASONS.contains(e.getReason());
        }
        return isConnectionFailure(e);
    }

    /** BigQuery says this caller sends too much: 429, or the rateLimitExceeded reason. */
    public static boolean isRateLimited(BigQueryException e) {
        return e.getCode() == 429 || "rateLimitExceeded".equals(e.getReason());
    }

    /**
     * Connection refused, reset or dropped before an answer, unknown host, and timeouts
     * (including the client's way of reporting a read timeout, see {@link #READ_TIMEOUT}),
     * anywhere in the cause chain.
     */
    static boolean isConnectionFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException || t instanceof ConnectException || t instanceof InterruptedException
                    || t instanceof NoRouteToHostException || t instanceof UnknownHostException
                    || t instanceof SocketException || t instanceof InterruptedIOException
                    || t instanceof NoHttpResponseException || t instanceof ConnectionClosedException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /**
     * A short name for the kind of failure, for counting: BigQuery's own reason where it gives
     * one ({@code accessDenied}, {@code rateLimitExceeded}, ...), else {@code timeout},
     * {@code connection}, {@code http_<status>}, or {@code unreadable_answer}.
     */
    public static String kind(Throwable e) {
        if (e instanceof BigQueryException bq) {
            if (bq.getCause() instanceof InterruptedException || hasCause(bq, SocketTimeoutException.class)
                    || ATTEMPT_TIMED_OUT.equals(bq.getMessage())) {
                return "timeout";
            }
            if (bq.getReason() != null && !bq.getReason().isBlank()) {
                return bq.getReason();
            }
            if (isConnectionFailure(bq)) {
                return "connection";
            }
            return bq.getCode() > 0 ? "http_" + bq.getCode() : "unreadable_answer";
        }
        return "unexpected";
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The stored error text: {@code BigQueryException: <BigQuery's words>}, or ours where the
     * failure is inside the client (a Java message such as {@code Cannot invoke ...} says
     * nothing to a reader and something about the internals to anyone).
     */
    public static String describe(Throwable e) {
        if (!(e instanceof BigQueryException)) {
            return e.getClass().getSimpleName() + ": " + UNEXPECTED + " (" + reason(e) + ")";
        }
        String message = e.getMessage();
        if (e.getCause() instanceof InterruptedException) {
            message = READ_TIMEOUT;
        } else if (isUnexpected((BigQueryException) e)) {
            message = UNEXPECTED + " (" + reason(e) + ")";
        }
        return "BigQueryException: " + oneLine(message == null ? "" : message.strip());
    }

    /** The innermost cause, as its type and the first line of its message. */
    private static String reason(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = t.getMessage();
        return t.getClass().getSimpleName() + (message == null ? "" : ": " + oneLine(message));
    }

    private static String oneLine(String s) {
        int nl = s.indexOf('\n');
        return (nl >= 0 ? s.substring(0, nl) : s).strip();
    }

    /** A failure of the client itself (a Java error reading an answer), not BigQuery's nor the network's. */
    public static boolean isUnexpected(BigQueryException e) {
        return e.getCode() <= 0 && e.getReason() == null && e.getCause() instanceof RuntimeException
                && !hasCause(e, java.io.IOException.class) && !ATTEMPT_TIMED_OUT.equals(e.getMessage());
    }

    /** Ours, for what BigQuery did not put in words. */
    static final String UNEXPECTED = "BigQuery's answer could not be read";

    /** An attempt cut off at its wall-clock deadline (AnswerGuard). */
    public static final String ATTEMPT_TIMED_OUT =
            "no complete answer from BigQuery within BIGQUERY_TIMEOUT_SECONDS (the attempt was cut off)";

    /**
     * The client reports a read timeout as an interrupt: it restores the interrupt flag on the
     * SocketTimeoutException (an InterruptedIOException) and then fails waiting on its own
     * future. Genuine interrupts only come with a stop, where no retry happens anyway.
     */
    static final String READ_TIMEOUT = "no answer from BigQuery within BIGQUERY_TIMEOUT_SECONDS (read timed out)";
}
