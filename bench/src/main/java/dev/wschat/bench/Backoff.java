package dev.wschat.bench;

import java.util.function.DoubleSupplier;

/**
 * The browser client's reconnect schedule (client-web {@code connection.js}, {@code backoffDelay}): attempt
 * {@code n} (0 for the first) waits {@code min(max, base * 2^n)} with "equal jitter", a random point in the upper
 * half of that step. A refused handshake's {@code Retry-After} is honoured on top: the wait is at least
 * {@code Retry-After} plus a random share of up to half of it again, so clients told the same second do not all
 * come back in the same instant.
 */
record Backoff(long baseMs, long maxMs) {
    /** The browser client's figures: 1 s first step, 30 s cap. */
    static final Backoff BROWSER = new Backoff(1_000, 30_000);

    Backoff {
        if (baseMs < 1 || maxMs < baseMs) {
            throw new IllegalArgumentException("--backoff-base-ms must be at least 1 and --backoff-max-ms at least "
                    + "--backoff-base-ms: " + baseMs + ", " + maxMs);
        }
    }

    /** The wait before attempt {@code attempt}, milliseconds; {@code retryAfterMs} below 0 when none was given. */
    long delayMs(int attempt, long retryAfterMs, DoubleSupplier random) {
        double step = Math.min(maxMs, baseMs * Math.pow(2, Math.min(attempt, 30)));
        long delay = Math.round(step / 2 + random.getAsDouble() * (step / 2));
        if (retryAfterMs >= 0) {
            delay = Math.max(delay, Math.round(retryAfterMs + random.getAsDouble() * (retryAfterMs / 2.0)));
        }
        return delay;
    }
}
