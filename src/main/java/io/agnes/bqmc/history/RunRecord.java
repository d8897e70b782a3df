package io.agnes.bqmc.history;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonView;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.agnes.bqmc.support.IsoInstantJson;

/**
 * One refresh run: the one record of a run, from the summary log line through the history row
 * to the API and the CLI. The run endpoint answers with the {@link Summary} view (contract
 * section 7 lists exactly those fields); {@code last_runs} and the history have all.
 *
 * @param status  {@code finished}, or {@code abandoned} for a run whose replica died or lost
 *                its lock before it finished (its counters are then unknown, 0)
 * @param replica the replica that ran it
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunRecord(
        @JsonProperty("run_id") String runId,
        @JsonProperty("started_at")
        @JsonSerialize(using = IsoInstantJson.Writer.class) @JsonDeserialize(using = IsoInstantJson.Reader.class)
        Instant startedAt,
        @JsonProperty("finished_at") @JsonView(History.class)
        @JsonSerialize(using = IsoInstantJson.Writer.class) @JsonDeserialize(using = IsoInstantJson.Reader.class)
        Instant finishedAt,
        @JsonProperty("trigger") @JsonView(History.class) String trigger,
        @JsonProperty("total") int total,
        @JsonProperty("succeeded") int succeeded,
        @JsonProperty("no_data") int noData,
        @JsonProperty("failed") int failed,
        @JsonProperty("duration_ms") long durationMs,
        @JsonProperty("status") @JsonView(History.class) String status,
        @JsonProperty("replica") @JsonView(History.class) String replica) {

    public static final String FINISHED = "finished";
    public static final String ABANDONED = "abandoned";

    /** The fields of the run endpoint's answer. */
    public interface Summary {
    }

    /** Every field: the history and {@code last_runs}. */
    public interface History extends Summary {
    }

    /**
     * A run counts as successful when it finished and refreshed at least one table, or had
     * nothing to refresh: a run where every lookup failed leaves the cache no fresher.
     */
    @JsonIgnore
    public boolean successful() {
        return FINISHED.equals(status) && (succeeded > 0 || total == 0);
    }
}
