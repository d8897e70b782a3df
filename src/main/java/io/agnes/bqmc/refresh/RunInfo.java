package io.agnes.bqmc.refresh;

import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;

/**
 * Identity of one refresh run: what a refused caller is told about the run in flight.
 *
 * @param trigger who started it: {@code timer} or {@code rest}
 */
public record RunInfo(String runId, OffsetDateTime startedAt, long startedNanos, String trigger) {

    /** Exchange property naming what starts a run; the timer and API routes set it. */
    public static final String TRIGGER = "bqmcTrigger";

    /** ISO-8601 in UTC with an explicit {@code +00:00} offset, as the Python service wrote it. */
    public static final DateTimeFormatter ISO_UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx");

    private static final SecureRandom RANDOM = new SecureRandom();

    public static RunInfo start(String trigger) {
        return new RunInfo(newId(), OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS), System.nanoTime(),
                trigger);
    }

    /** 8 random hex characters, as run ids have always looked. */
    public static String newId() {
        byte[] id = new byte[4];
        RANDOM.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    public String startedAtText() {
        return startedAt.format(ISO_UTC);
    }

    public long elapsedMs() {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }
}
