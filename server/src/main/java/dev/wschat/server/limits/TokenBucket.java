package dev.wschat.server.limits;

import java.util.concurrent.TimeUnit;

/**
 * A token bucket: holds up to {@code burst} tokens, refilled at {@code ratePerSecond}; each admitted
 * event takes one. Not thread-safe; the caller confines it to one thread or synchronizes.
 */
public final class TokenBucket {
    private static final long NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);

    private final double ratePerNano;
    private final double burst;
    private double tokens;
    private long updatedNanos;

    /**
     * Creates a full bucket.
     *
     * @param ratePerSecond tokens added per second, at least 1
     * @param burst         the bucket size, at least 1
     * @param nowNanos      the current {@link System#nanoTime()}
     */
    public TokenBucket(int ratePerSecond, int burst, long nowNanos) {
        if (ratePerSecond < 1 || burst < 1) {
            throw new IllegalArgumentException("ratePerSecond and burst must be at least 1: " + ratePerSecond
                    + ", " + burst);
        }
        this.ratePerNano = (double) ratePerSecond / NANOS_PER_SECOND;
        this.burst = burst;
        this.tokens = burst;
        this.updatedNanos = nowNanos;
    }

    /**
     * Takes a token if one is available.
     *
     * @param nowNanos the current {@link System#nanoTime()}
     * @return whether the event is admitted
     */
    public boolean tryAcquire(long nowNanos) {
        refill(nowNanos);
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }

    /**
     * Time until the next token is available.
     *
     * @param nowNanos the current {@link System#nanoTime()}
     * @return milliseconds, rounded up; 0 when a token is available now
     */
    public long millisUntilAvailable(long nowNanos) {
        refill(nowNanos);
        if (tokens >= 1) {
            return 0;
        }
        double nanos = (1 - tokens) / ratePerNano;
        return Math.max(1, (long) Math.ceil(nanos / 1_000_000d));
    }

    /**
     * Tells whether the bucket has refilled completely, so forgetting it changes nothing.
     *
     * @param nowNanos the current {@link System#nanoTime()}
     * @return {@code true} when full
     */
    public boolean isFull(long nowNanos) {
        refill(nowNanos);
        return tokens >= burst;
    }

    private void refill(long nowNanos) {
        long elapsed = nowNanos - updatedNanos;
        if (elapsed > 0) {
            tokens = Math.min(burst, tokens + elapsed * ratePerNano);
            updatedNanos = nowNanos;
        }
    }
}
