package io.agnes.bqmc.bigquery;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * The pace of {@code tables.get} attempts, retries included, for the whole service: at most
 * {@code BIGQUERY_MAX_REQUESTS_PER_SECOND}, as evenly spaced slots, and never more than that in
 * any one second of sending. (Camel's throttle EIP counts requests per fixed period,
 * which lets two periods' worth through across a period boundary.)
 * <p>
 * When BigQuery still says too much ({@code 429} or {@code rateLimitExceeded}: the quota is
 * shared with everything else using the same account), the pace halves, at most once a second,
 * and then climbs back by a tenth of the limit per quiet second; a {@code Retry-After} holds
 * every next attempt until it has passed, up to {@link #LONGEST_PAUSE}.
 */
public final class RequestRate {

    /** The longest Retry-After obeyed: the longest backoff between two attempts of a table. */
    static final Duration LONGEST_PAUSE = Duration.ofSeconds(32);

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final double limit;
    private double rate;
    private long nextSlot;
    /** When the attempts of the last second went out. */
    private final ArrayDeque<Long> sent = new ArrayDeque<>();
    private long lastChange;
    private long lastThrottle = Long.MIN_VALUE / 2;
    /** The monotonic clock, in nanoseconds: {@code System::nanoTime}, or a test's. */
    private final LongSupplier clock;

    /** @param requestsPerSecond 0 for no limit */
    public RequestRate(int requestsPerSecond) {
        this(requestsPerSecond, System::nanoTime);
    }

    RequestRate(int requestsPerSecond, LongSupplier clock) {
        this.clock = clock;
        this.limit = requestsPerSecond;
        this.rate = requestsPerSecond;
        this.nextSlot = clock.getAsLong();
        this.lastChange = nextSlot;
    }

    public static RequestRate unlimited() {
        return new RequestRate(0);
    }

    /** The pace allowed now, in requests per second; 0 when there is no limit. */
    public synchronized double current() {
        recover(clock.getAsLong());
        return rate;
    }

    /**
     * Waits for this attempt's turn: the next of the evenly spaced slots, and never more than
     * the pace's worth of attempts in the last second (late wake-ups cannot bunch up).
     */
    public void acquire() {
        while (true) {
            long wait = tryAcquire();
            if (wait == 0) {
                return;
            }
            LockSupport.parkNanos(wait);
            if (Thread.interrupted()) {
                // a stop: the attempt goes ahead and fails fast on the stopped client
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Takes this attempt's turn if it has come: 0, else how many nanoseconds until it may have. */
    synchronized long tryAcquire() {
        long now = clock.getAsLong();
        recover(now);
        if (limit == 0 && nextSlot <= now) {
            return 0;
        }
        while (!sent.isEmpty() && now - sent.peekFirst() >= SECOND) {
            sent.pollFirst();
        }
        int perSecond = limit == 0 ? Integer.MAX_VALUE : Math.max(1, (int) rate);
        if (now >= nextSlot && sent.size() < perSecond) {
            if (limit > 0) {
                sent.addLast(now);
                // a late attempt moves the schedule rather than letting the next one catch up
                nextSlot = Math.max(nextSlot, now) + (long) (SECOND / rate);
            }
            return 0;
        }
        long until = Math.max(nextSlot, sent.size() >= perSecond ? sent.peekFirst() + SECOND : now);
        return Math.max(1, until - now);
    }

    /** BigQuery said too many: slow everyone down, and wait out its Retry-After. */
    public synchronized void throttled(Duration retryAfter) {
        long now = clock.getAsLong();
        if (limit > 0 && now - lastThrottle >= SECOND) {
            rate = Math.max(1, rate / 2);
            lastThrottle = now;
            lastChange = now;
        }
        pause(retryAfter);
    }

    /** BigQuery asked every caller to wait (a Retry-After on any answer): no attempt before it passes. */
    public synchronized void pause(Duration retryAfter) {
        if (retryAfter != null && !retryAfter.isNegative()) {
            long pause = Math.min(retryAfter.toNanos(), LONGEST_PAUSE.toNanos());
            nextSlot = Math.max(nextSlot, clock.getAsLong() + pause);
        }
    }

    /** A tenth of the limit back per second since the last change, once a second has passed without a 429. */
    private void recover(long now) {
        if (limit == 0 || rate >= limit || now - lastThrottle < SECOND) {
            return;
        }
        long seconds = (now - lastChange) / SECOND;
        if (seconds > 0) {
            rate = Math.min(limit, rate + seconds * Math.max(1, limit / 10));
            lastChange += seconds * SECOND;
        }
    }
}
