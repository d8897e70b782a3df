package io.agnes.bqmc.history;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonView;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.agnes.bqmc.support.IsoInstantJson;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.Schema.RequiredMode;

/**
 * One refresh run: the one record of a run, from the summary log line through the history row
 * to the API and the CLI. The run endpoint answers with the {@link Summary} view (contract
 * section 7 lists exactly those fields); {@code last_runs} and the history have all.
 *
 * @param trigger     the route that started it: {@code timer}, {@code rest} or {@code direct}
 * @param triggeredBy {@code timer}, {@code api} (a user's token), {@code scheduler-token}, or
 *                    {@code direct}; null for runs recorded by versions before 1.2
 * @param caller      the user of the token that started it (never the token); null for the timer
 * @param requestId   the id of the API request that started it; null for the timer
 * @param status  {@code finished}, or {@code abandoned} for a run whose replica died or lost
 *                its lock before it finished (its counters are then unknown, 0)
 * @param replica the replica that ran it
 * @param writeFailed how many of its tables' cache writes failed (kept in the history, not shown)
 */
@Schema(description = "A refresh run. The run endpoint answers with run_id, started_at and the counters;"
        + " last_runs has every field.")
public record RunRecord(
        @JsonProperty("run_id") @Schema(requiredMode = RequiredMode.REQUIRED, pattern = "^[0-9a-f]{8}$") String runId,
        @JsonProperty("started_at") @Schema(requiredMode = RequiredMode.REQUIRED, type = "string", format = "date-time")
        @JsonSerialize(using = IsoInstantJson.Writer.class)
        Instant startedAt,
        @JsonProperty("finished_at") @JsonView(History.class)
        @Schema(type = "string", format = "date-time", description = "In last_runs only")
        @JsonSerialize(using = IsoInstantJson.Writer.class)
        Instant finishedAt,
        @JsonProperty("trigger") @JsonView(History.class)
        @Schema(allowableValues = {"timer", "rest", "direct"}, description = "In last_runs only") String trigger,
        @JsonProperty("triggered_by") @JsonView(History.class)
        @Schema(nullable = true, allowableValues = {"timer", "api", "scheduler-token", "direct"},
                description = "In last_runs only: the timer, an API call with a user's token, or one with"
                        + " SCHEDULER_API_TOKEN") String triggeredBy,
        @JsonProperty("caller") @JsonView(History.class)
        @Schema(nullable = true, description = "In last_runs only: the user of the token that started the run;"
                + " null for the timer") String caller,
        @JsonProperty("request_id") @JsonView(History.class)
        @Schema(nullable = true, description = "In last_runs only: the X-Request-Id of the API request that"
                + " started the run") String requestId,
        @JsonProperty("total") @Schema(requiredMode = RequiredMode.REQUIRED) int total,
        @JsonProperty("succeeded") @Schema(requiredMode = RequiredMode.REQUIRED) int succeeded,
        @JsonProperty("no_data") @Schema(requiredMode = RequiredMode.REQUIRED) int noData,
        @JsonProperty("failed") @Schema(requiredMode = RequiredMode.REQUIRED) int failed,
        @JsonProperty("duration_ms") @Schema(requiredMode = RequiredMode.REQUIRED) long durationMs,
        @JsonProperty("status") @JsonView(History.class)
        @Schema(allowableValues = {FINISHED, ABANDONED}, description = "In last_runs only") String status,
        @JsonProperty("replica") @JsonView(History.class) @Schema(nullable = true, description = "In last_runs only")
        String replica,
        @JsonIgnore int writeFailed) {

    public static final String FINISHED = "finished";
    public static final String ABANDONED = "abandoned";

    /** A run none of whose cache writes failed (or one recorded before they were counted). */
    public RunRecord(String runId, Instant startedAt, Instant finishedAt, String trigger, int total, int succeeded,
                     int noData, int failed, long durationMs, String status, String replica) {
        this(runId, startedAt, finishedAt, trigger, total, succeeded, noData, failed, durationMs, status, replica, 0);
    }

    /** A run whose origin is known only by its route (as versions before 1.2 recorded runs). */
    public RunRecord(String runId, Instant startedAt, Instant finishedAt, String trigger, int total, int succeeded,
                     int noData, int failed, long durationMs, String status, String replica, int writeFailed) {
        this(runId, startedAt, finishedAt, trigger, null, null, null, total, succeeded, noData, failed, durationMs,
                status, replica, writeFailed);
    }

    /** The fields of the run endpoint's answer. */
    public interface Summary {
    }

    /** Every field: the history and {@code last_runs}. */
    public interface History extends Summary {
    }

    /**
     * A run counts as successful when it finished, every cache write it made went through, and
     * it refreshed at least one table or had nothing to refresh: a run where every lookup failed
     * leaves the cache no fresher, and one whose writes failed (a full disk, say) leaves it
     * wrong.
     */
    @JsonIgnore
    public boolean successful() {
        return FINISHED.equals(status) && writeFailed == 0 && (succeeded > 0 || total == 0);
    }
}
