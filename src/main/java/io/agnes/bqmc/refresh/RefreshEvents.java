package io.agnes.bqmc.refresh;

import io.agnes.bqmc.history.RunRecord;

/**
 * What the refresh pipeline tells whoever watches it (the metrics): implemented above this
 * package and handed in, so the pipeline never depends on how it is observed.
 */
public interface RefreshEvents {

    /**
     * One BigQuery request, whatever its answer.
     *
     * @param outcome {@code ok}, {@code not_found}, {@code rate_limited} (429 or {@code rateLimitExceeded}), {@code retryable_error} (5xx, network) or {@code error}
     * @param retry   whether it repeated a failed attempt
     */
    void bigQueryRequest(long nanos, String outcome, boolean retry);

    void tableFinished(TableStatus status);

    void runFinished(RunRecord run);

    /** A run ended with an error before it could finish (the database went away under it, say). */
    void runFailed(String trigger);
}
