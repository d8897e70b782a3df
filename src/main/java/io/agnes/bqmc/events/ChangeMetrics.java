package io.agnes.bqmc.events;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the change events did: {@code bqmc_events_total{outcome}} per push (queued, unregistered,
 * ignored, malformed, refused, busy), {@code bqmc_event_lookups_total{outcome}} per table the
 * queue handed out (refreshed, covered by a newer lookup, gone from the registry, failed),
 * {@code bqmc_event_to_fresh_seconds} from a window's first event to its table's new numbers, and
 * {@code bqmc_events_waiting}, the tables queued.
 */
public class ChangeMetrics {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeMetrics.class);

    private final MeterRegistry meters;
    private final Timer toFresh;
    private final AtomicLong waiting = new AtomicLong();
    /** Each kind of malformed push is told once at WARN: a misrouted sink sends thousands. */
    private final Set<String> told = ConcurrentHashMap.newKeySet();

    public ChangeMetrics(MeterRegistry meters) {
        this.meters = meters;
        this.toFresh = Timer.builder("bqmc.event.to.fresh")
                .description("From the first change event of a debounce window to its table's new numbers in the cache")
                .serviceLevelObjectives(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5),
                        Duration.ofSeconds(7), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60),
                        Duration.ofMinutes(5))
                .register(meters);
        Gauge.builder("bqmc.events.waiting", waiting, AtomicLong::get)
                .description("Tables queued for a lookup by change events, as this replica last counted")
                .register(meters);
    }

    public void push(String outcome) {
        Counter.builder("bqmc.events").tag("outcome", outcome)
                .description("Pub/Sub pushes to the events endpoint, by what became of them").register(meters).increment();
    }

    /** A malformed push: counted, and its kind told once. */
    public void malformed(String kind, String messageId) {
        push("malformed");
        if (told.add(kind)) {
            LOG.warn("malformed push refused with 400: kind={} message_id={} (further pushes of this kind are only"
                    + " counted, as bqmc_events_total{{outcome=\"malformed\"}})", kind, messageId);
        }
    }

    public void lookup(String outcome) {
        Counter.builder("bqmc.event.lookups").tag("outcome", outcome)
                .description("Tables the change queue handed out, by what became of them").register(meters).increment();
    }

    public void fresh(Duration sinceFirstEvent) {
        toFresh.record(sinceFirstEvent.isNegative() ? Duration.ZERO : sinceFirstEvent);
    }

    public void waiting(long tables) {
        waiting.set(tables);
    }
}
