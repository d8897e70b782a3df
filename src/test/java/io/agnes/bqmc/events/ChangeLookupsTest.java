package io.agnes.bqmc.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;

import io.agnes.bqmc.bigquery.RequestRate;
import org.junit.jupiter.api.Test;

/**
 * How many claimed tables a replica holds: what it can look up before its next poll, so that a
 * burst is shared between replicas rather than taken by whichever polled first.
 */
class ChangeLookupsTest {

    private static ChangeLookups lookups(RequestRate rate, int concurrency) {
        return new ChangeLookups(null, null, null, "r1", Clock.systemUTC(), rate, concurrency);
    }

    @Test
    void aReplicaHoldsItsLookupsAtOncePlusHalfASecondOfItsPace() {
        assertThat(lookups(new RequestRate(50), 16).holding()).isEqualTo(16 + 25);
        assertThat(lookups(new RequestRate(1), 4).holding()).isEqualTo(4 + 1);
        // however fast its pace, no more than the lookup queue holds
        assertThat(lookups(new RequestRate(10_000), 4).holding()).isEqualTo(ChangeRoutes.CAPACITY);
        assertThat(lookups(RequestRate.unlimited(), 4).holding()).isEqualTo(ChangeRoutes.CAPACITY);
    }

    @Test
    void aReplicaThatBigQuerySlowedDownTakesLess() {
        RequestRate rate = new RequestRate(100);
        ChangeLookups lookups = lookups(rate, 8);
        assertThat(lookups.holding()).isEqualTo(8 + 50);
        rate.throttled(Duration.ZERO);
        assertThat(lookups.holding()).isEqualTo(8 + 25);
    }
}
