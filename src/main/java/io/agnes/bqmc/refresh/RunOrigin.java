package io.agnes.bqmc.refresh;

import io.agnes.bqmc.history.RunHistory;

/**
 * Who started a run or a single-table refresh, as the run history, {@code last_runs}, the
 * summary log line and the audit trail say it.
 *
 * @param trigger     the route that started it: {@code timer}, {@code rest}, {@code direct} (from
 *                    code, as tests do), or {@link RunInfo#SINGLE}; the metrics' tag since 1.0
 * @param triggeredBy {@code timer}, {@code scheduler-token} (an API call with
 *                    {@code SCHEDULER_API_TOKEN}), {@code api} (with a user's token), or
 *                    {@code direct}
 * @param caller      the token's user; null for the timer. Never the token.
 * @param requestId   the API request's id; null for the timer
 */
public record RunOrigin(String trigger, String triggeredBy, String caller, String requestId)
        implements RunHistory.Origin {

    /** Exchange property the API routes set before a run or a refresh; without one a run is {@link #DIRECT}. */
    public static final String PROPERTY = "bqmcOrigin";

    public static final RunOrigin TIMER = new RunOrigin("timer", "timer", null, null);
    public static final RunOrigin DIRECT = new RunOrigin("direct", "direct", null, null);

    /** An API request's: {@code scheduler-token} when it carried {@code SCHEDULER_API_TOKEN}. */
    public static RunOrigin api(String trigger, String caller, boolean schedulerToken, String requestId) {
        return new RunOrigin(trigger, schedulerToken ? "scheduler-token" : "api", caller, requestId);
    }

    /** A timer tick: on a shared database it gives way to a run that started less than an interval ago. */
    public boolean tick() {
        return "timer".equals(trigger);
    }
}
