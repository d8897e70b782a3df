package io.agnes.bqmc.refresh;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import io.agnes.bqmc.history.RunRecord;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/**
 * Counts the split's per-table outcomes into the run's {@link Counts} (the run exchange's
 * property {@link #COUNTS}, kept across the pages the run splits one after the other). Camel
 * calls {@link #aggregate} one exchange at a time even when the split runs in parallel.
 */
public class RunTally implements AggregationStrategy {

    /** The run exchange's property holding its {@link Counts}. */
    public static final String COUNTS = "bqmc.run-counts";

    /** The kind of a table whose lookup worked but whose cache write did not. */
    static final String WRITE_FAILED = "write_failed";

    /** Outcome counters of one run. */
    public static final class Counts {
        private int total;
        private int succeeded;
        private int noData;
        private int failed;
        private final Map<String, Integer> kinds = new TreeMap<>();

        void add(TableStatus status, String kind) {
            total++;
            if (status != TableStatus.OK) {
                kinds.merge(kind == null ? "unexpected" : kind, 1, Integer::sum);
            }
            switch (status == null ? TableStatus.ERROR : status) {
                case OK -> succeeded++;
                case NO_DATA -> noData++;
                case ERROR -> failed++;
            }
        }

        /** How many tables did not end ok, by why. */
        Map<String, Integer> kinds() {
            return kinds;
        }

        /** {@code accessDenied:2,timeout:1} */
        String kindsText() {
            return kinds.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue()).collect(Collectors.joining(","));
        }

        /** The run's record, as it finishes now. */
        RunRecord toRecord(RunInfo run, Instant finishedAt, String replica) {
            RunOrigin origin = run.origin();
            return new RunRecord(run.runId(), run.startedAt(), finishedAt, origin.trigger(), origin.triggeredBy(),
                    origin.caller(), origin.requestId(), total, succeeded, noData, failed, run.elapsedMs(),
                    RunRecord.FINISHED, replica, kinds.getOrDefault(WRITE_FAILED, 0));
        }
    }

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        throw new UnsupportedOperationException("a run's tally needs the run's exchange");
    }

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange, Exchange runExchange) {
        Exchange result = oldExchange == null ? newExchange : oldExchange;
        Counts counts = runExchange.getProperty(COUNTS, Counts.class);
        Object table = newExchange.getMessage().getBody();
        // a table whose refresh broke before it had a state counts as failed
        if (table instanceof TableRefresh refresh) {
            counts.add(refresh.status(), refresh.kind());
        } else {
            counts.add(null, "unexpected");
        }
        return result;
    }
}
