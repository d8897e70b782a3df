package io.agnes.bqmc.support;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * The two ways this service writes a point in time: ISO-8601 with an explicit {@code +00:00}
 * offset for every API answer (contract section 7, as the Python service wrote it), and naive
 * UTC text for the database's timestamp columns (contract section 3), passed as text so that
 * neither the JVM's nor the database's time zone can shift it.
 */
public final class Times {

    /** {@code 2026-11-27T10:01:00.000000+00:00}: microseconds, always six digits. */
    public static final DateTimeFormatter ISO_UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx");

    private static final DateTimeFormatter NAIVE_UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    private Times() {
    }

    /** Now, to the microsecond: what the database keeps, so a value read back equals the one written. */
    public static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }

    public static String iso(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC).format(ISO_UTC);
    }


    /** An instant as a naive UTC timestamp literal. */
    public static String naive(Instant instant) {
        return LocalDateTime.ofInstant(instant, ZoneOffset.UTC).format(NAIVE_UTC);
    }

    /** A stored naive UTC timestamp read back as text; the fraction is optional. */
    public static Instant parseNaive(String stored) {
        return stored == null ? null : LocalDateTime.parse(stored.replace(' ', 'T')).toInstant(ZoneOffset.UTC);
    }
}
