package io.agnes.bqmc.refresh;

import java.util.Optional;

import org.apache.camel.Exchange;
import org.apache.camel.Route;
import org.apache.camel.support.RoutePolicySupport;

/**
 * Makes the refresh-all route single-flight through its {@link RunGate}: the first exchange to
 * enter takes the slot and gets a fresh {@link RunInfo}; any exchange entering while the slot
 * is taken is refused at once with the gate's {@link RefreshRefusedException} (naming the run
 * in flight), and none of the route's steps run for it. Timer ticks and REST calls go through
 * the same gate.
 */
public class SingleFlightRoutePolicy extends RoutePolicySupport {

    /** Exchange property holding the {@link RunInfo} of the run this exchange started. */
    public static final String RUN = "bqmcRun";

    private static final String REFUSED = "bqmcRunRefused";

    private final RunGate gate;

    public SingleFlightRoutePolicy(RunGate gate) {
        this.gate = gate;
    }

    @Override
    public void onExchangeBegin(Route route, Exchange exchange) {
        try {
            exchange.setProperty(RUN, gate.enter(origin(exchange)));
        } catch (RefreshRefusedException refused) {
            exchange.setProperty(REFUSED, Boolean.TRUE);
            exchange.setException(refused);
            // stops the route's own steps; cleared again in onExchangeDone so the caller's error handling runs
            exchange.setRouteStop(true);
        }
    }

    /** The API routes name the caller; the timer route names only itself; anything else is a direct call. */
    private static RunOrigin origin(Exchange exchange) {
        RunOrigin origin = exchange.getProperty(RunOrigin.PROPERTY, RunOrigin.class);
        if (origin != null) {
            return origin;
        }
        return "timer".equals(exchange.getProperty(RunInfo.TRIGGER, String.class)) ? RunOrigin.TIMER : RunOrigin.DIRECT;
    }

    @Override
    public void onExchangeDone(Route route, Exchange exchange) {
        if (exchange.removeProperty(REFUSED) != null) {
            exchange.setRouteStop(false);
            return;
        }
        RunInfo mine = exchange.getProperty(RUN, RunInfo.class);
        if (mine != null) {
            gate.leave(mine);
        }
    }

    /** The run this process holds the slot for, if any. */
    public Optional<RunInfo> current() {
        return gate.current();
    }
}
