package io.agnes.bqmc.refresh;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.camel.Exchange;
import org.apache.camel.Route;
import org.apache.camel.support.RoutePolicySupport;

/**
 * Makes the refresh-all route single-flight: the first exchange to enter takes the slot and
 * gets a fresh {@link RunInfo}; any exchange entering while the slot is taken is refused at
 * once with a {@link RefreshAlreadyRunningException} naming the run in flight, and none of
 * the route's steps run for it. Timer ticks and REST calls go through the same gate.
 */
public class SingleFlightRoutePolicy extends RoutePolicySupport {

    /** Exchange property holding the {@link RunInfo} of the run this exchange started. */
    public static final String RUN = "bqmcRun";

    private static final String REFUSED = "bqmcRunRefused";

    private final AtomicReference<RunInfo> inFlight = new AtomicReference<>();

    @Override
    public void onExchangeBegin(Route route, Exchange exchange) {
        RunInfo candidate = RunInfo.start(exchange.getProperty(RunInfo.TRIGGER, "direct", String.class));
        RunInfo holder;
        do {
            if (inFlight.compareAndSet(null, candidate)) {
                exchange.setProperty(RUN, candidate);
                return;
            }
            holder = inFlight.get();
        } while (holder == null); // the holder finished between the two reads: try again
        exchange.setProperty(REFUSED, Boolean.TRUE);
        exchange.setException(new RefreshAlreadyRunningException(holder));
        // stops the route's own steps; cleared again in onExchangeDone so the caller's error handling runs
        exchange.setRouteStop(true);
    }

    @Override
    public void onExchangeDone(Route route, Exchange exchange) {
        if (exchange.removeProperty(REFUSED) != null) {
            exchange.setRouteStop(false);
            return;
        }
        RunInfo mine = exchange.getProperty(RUN, RunInfo.class);
        if (mine != null) {
            inFlight.compareAndSet(mine, null);
        }
    }

    /** The run in flight, if any. */
    public Optional<RunInfo> current() {
        return Optional.ofNullable(inFlight.get());
    }
}
