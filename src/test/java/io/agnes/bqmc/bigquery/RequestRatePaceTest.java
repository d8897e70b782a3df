package io.agnes.bqmc.bigquery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The pace on a clock the test moves: evenly spaced slots, never more than the limit in a
 * second, halving on "too many" at most once a second, a tenth of the limit back per quiet
 * second, Retry-After obeyed up to its cap. No real waiting.
 */
class RequestRatePaceTest {

    static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    long now = 1_000_000_000L;

    RequestRate rate(int limit) {
        return new RequestRate(limit, () -> now);
    }

    @Test
    void slotsAreEvenlySpacedAtTheLimit() {
        RequestRate rate = rate(20);
        assertThat(rate.tryAcquire()).as("the first goes at once").isZero();
        assertThat(rate.tryAcquire()).as("the next waits its 50 ms slot").isEqualTo(50 * MS);
        now += 49 * MS;
        assertThat(rate.tryAcquire()).isEqualTo(MS);
        now += MS;
        assertThat(rate.tryAcquire()).isZero();
    }

    @Test
    void lateAttemptsNeverBunchUpPastTheLimitInAnySecond() {
        RequestRate rate = rate(10);
        int sent = 0;
        long start = now;
        // callers that wake up late and all at once: still no more than 10 in the second
        while (now - start < TimeUnit.SECONDS.toNanos(1)) {
            long wait = rate.tryAcquire();
            if (wait == 0) {
                sent++;
            } else {
                now += Math.min(wait, 7 * MS);
            }
        }
        assertThat(sent).isEqualTo(10);
    }

    @Test
    void tooManyHalvesThePaceOnceASecondAndItClimbsBackByATenthPerQuietSecond() {
        RequestRate rate = rate(60);
        rate.throttled(null);
        assertThat(rate.current()).isEqualTo(30);
        rate.throttled(null);
        assertThat(rate.current()).as("at most once a second").isEqualTo(30);
        now += TimeUnit.SECONDS.toNanos(1);
        rate.throttled(null);
        assertThat(rate.current()).isEqualTo(15);
        now += TimeUnit.SECONDS.toNanos(2);
        assertThat(rate.current()).as("6 a second back per quiet second").isEqualTo(27);
        now += TimeUnit.SECONDS.toNanos(10);
        assertThat(rate.current()).as("never past the limit").isEqualTo(60);
    }

    @Test
    void retryAfterHoldsEveryNextAttemptUpToTheLongestPause() {
        RequestRate rate = rate(0);
        assertThat(rate.tryAcquire()).as("no limit").isZero();
        rate.pause(Duration.ofSeconds(3));
        assertThat(rate.tryAcquire()).isEqualTo(TimeUnit.SECONDS.toNanos(3));
        now += TimeUnit.SECONDS.toNanos(3);
        assertThat(rate.tryAcquire()).isZero();
        rate.pause(Duration.ofHours(1));
        assertThat(rate.tryAcquire()).as("capped").isEqualTo(RequestRate.LONGEST_PAUSE.toNanos());
    }
}
