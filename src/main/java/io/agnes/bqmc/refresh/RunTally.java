package io.agnes.bqmc.refresh;

import java.time.Instant;

import io.agnes.bqmc.history.RunRecord;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/**
 * Counts the split's per-table outcomes into one {@link Counts} body. Camel calls
 * {@link #aggregate} one exchange at a time even when the split runs in parallel.
 */
public class RunTally implements AggregationStrategy {

    /** Outcome counters of one run. */
    public static final class Counts {
        private int total;
        private int succeeded;
        private int noData;
        private int failed;

        void add(TableStatus status) {
            total++;
            switch (status == null ? TableStatus.ERROR : status) {
                case OK -> succeeded++;
                case NO_DATA -> noData++;
                case ERROR -> failed++;
            }
        }

        /** The run's record, as it finishes now. */
        RunRecord toRecord(RunInfo run, Instant finishedAt, String replica) {
            return new RunRecord(run.runId(), run.startedAt(), finishedAt, run.trigger(), total, succeeded, noData,
                    failed, run.elapsedMs(), RunRecord.FINISHED, replica);
        }
    }

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        Exchange result = oldExchange == null ? newExchange : oldExchange;
        Counts counts = oldExchange == null ? new Counts() : oldExchange.getMessage().getBody(Counts.class);
        Object table = newExchange.getMessage().getBody();
        // a table whose refresh broke before it had a state counts as failed
        counts.add(table instanceof TableRefresh refresh ? refresh.status() : null);
        result.getMessage().setBody(counts);
        return result;
    }
}
