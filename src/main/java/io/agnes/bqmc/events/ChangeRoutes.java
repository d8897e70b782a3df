package io.agnes.bqmc.events;

import io.agnes.bqmc.registry.NotRemoteBigQueryTableException;
import io.agnes.bqmc.registry.UnknownTableException;
import org.apache.camel.builder.RouteBuilder;

/**
 * The change queue's lookups: a timer polls the database for tables whose debounce window has
 * ended ({@link ChangeLookups#claim}), and each claimed table goes through a bounded in-memory
 * queue to the single-table refresh. Nothing is lost with the in-memory queue: its tables stay
 * claimed in the database until their refresh settles them, and a claim that is never settled is
 * released when this replica starts again or its lease runs out.
 */
public class ChangeRoutes extends RouteBuilder {

    /** How often the queue is polled: a change waits its debounce window plus at most this. */
    static final long POLL_MS = 500;

    /** Claimed tables held in memory at most: a poll claims no more than there is room for. */
    static final int CAPACITY = 256;

    private final int concurrency;

    /** @param concurrency lookups at once ({@code AGNES_BQ_METADATA_REFRESH_CONCURRENCY}: the single-table refresh's bound too) */
    public ChangeRoutes(int concurrency) {
        this.concurrency = concurrency;
    }

    @Override
    public void configure() {
        ChangeLookups lookups = getContext().getRegistry().lookupByNameAndType("changeLookups", ChangeLookups.class);
        String queue = "seda:table-change-lookups?size=" + CAPACITY;

        from("timer:table-changes?delay=" + POLL_MS + "&period=" + POLL_MS).routeId("table-changes-poll")
                // a database outage is told once by the health check; the poll just tries again
                .onException(Exception.class).handled(true).logHandled(false).logExhausted(false)
                    .process(lookups::pollFailed)
                .end()
                .process(lookups::claim)
                .split(body())
                    .to(queue)
                .end();

        from(queue + "&concurrentConsumers=" + concurrency).routeId("table-change-lookup")
                .process(lookups::prepare)
                .doTry()
                    .to("direct:refresh-one")
                    .process(lookups::refreshed)
                .doCatch(UnknownTableException.class, NotRemoteBigQueryTableException.class)
                    .process(lookups::gone)
                .doCatch(Exception.class)
                    .process(lookups::failed)
                .end();
    }
}
