package io.agnes.bqmc.audit;

import java.time.Instant;

/**
 * One row of the platform's {@code audit_log}, as the platform fills it for this job
 * (../shared/PLATFORM-SCHEMA.md): who did what to which resource, with what result.
 *
 * @param params        JSON text, or null
 * @param result        {@code success}, {@code denied}, {@code conflict: ...} or {@code error: ...}
 * @param durationMs    how long the request (or the timer's run) took
 * @param clientIp      the address the request came from; null for the timer
 * @param clientKind    {@code scheduler} (the timer, or {@code SCHEDULER_API_TOKEN}) or {@code cli} (a user's bearer token)
 * @param correlationId the request's id; null for the timer
 */
public record AuditEntry(Instant at, String userId, String action, String resource, String params, String result,
                         Long durationMs, String clientIp, String clientKind, String correlationId) {

    /** The platform's action and resource for a full refresh, by whomever it is started. */
    public static final String RUN_ACTION = "run_bq_metadata_refresh";
    public static final String RUN_RESOURCE = "job:bq-metadata-refresh";

    /** The platform's action for a single-table refresh; its resource is the endpoint's path. */
    public static final String REFRESH_ACTION = "metadata_cache.refresh_table";

    public static final String SUCCESS = "success";
    public static final String DENIED = "denied";
    public static final String SCHEDULER = "scheduler";
    public static final String CLI = "cli";

    /** {@code error: <detail>}, as the platform words a failure. */
    public static String error(String detail) {
        return "error: " + detail;
    }
}
