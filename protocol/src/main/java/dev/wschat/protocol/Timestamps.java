package dev.wschat.protocol;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** ISO-8601 timestamps in the form JavaScript's {@code Date.toISOString()} gives, as the tutorial sends. */
public final class Timestamps {
    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private Timestamps() {
    }

    /** The current time, e.g. {@code 2026-11-26T13:45:00.123Z}. */
    public static String now() {
        return format(Instant.now());
    }

    /**
     * Formats an instant with millisecond precision in UTC.
     *
     * @param instant the instant
     * @return the ISO-8601 text
     */
    public static String format(Instant instant) {
        return ISO_MILLIS.format(instant);
    }
}
