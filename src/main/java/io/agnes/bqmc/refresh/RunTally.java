package io.agnes.bqmc.refresh;

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

        public RunSummary summary(RunInfo run) {
            return new RunSummary(run.runId(), run.startedAtText(), total, succeeded, noData, failed, run.elapsedMs());
        }
    }

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        Exchange result = oldExchange == null ? newExchange : oldExchange;
        Counts counts = oldExchange == null ? new Counts() : oldExchange.getMessage().getBody(Counts.class);
        TableRefresh refresh = newExchange.getProperty(TableRefresh.PROPERTY, TableRefresh.class);
        counts.add(refresh == null ? null : refresh.status());
        result.getMessage().setBody(counts);
        return result;
    }
}
