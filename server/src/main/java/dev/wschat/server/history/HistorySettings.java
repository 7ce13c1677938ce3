package dev.wschat.server.history;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How much history is kept and where: the values behind {@code --data-dir}, {@code --history-max-messages},
 * {@code --history-max-age} and {@code --history-queue}. The other history options have their defaults here
 * too ({@link #DEFAULT_ON_JOIN}, {@link #DEFAULT_RECOVERY_LIMIT}, {@link #DEFAULT_ROOMS}) though the store
 * itself does not use them.
 *
 * @param dataDir            where {@code wschat.db} lives (SQLite only); created when missing
 * @param maxMessagesPerRoom messages kept per room, older ones deleted; 0 = no limit by count
 * @param maxAge             how long a message is kept; {@link Duration#ZERO} = no limit by age
 * @param queueCapacity      appends waiting for the writer before more are refused (SQLite only)
 * @param dedupWindow        how long a client message id is remembered per sender, at least
 */
public record HistorySettings(Path dataDir, int maxMessagesPerRoom, Duration maxAge, int queueCapacity,
                              Duration dedupWindow) {
    /** {@code --data-dir}. */
    public static final Path DEFAULT_DATA_DIR = Path.of("data");
    /** {@code --history-max-messages}: messages kept per room. */
    public static final int DEFAULT_MAX_MESSAGES = 10_000;
    /** {@code --history-max-age}. */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofDays(30);
    /** {@code --history-queue}: appends queued for the SQLite writer before more are refused. */
    public static final int DEFAULT_QUEUE = 20_000;
    /** How long a client message id is remembered per sender (the issue asks for at least 10 minutes). */
    public static final Duration DEFAULT_DEDUP_WINDOW = Duration.ofMinutes(10);
    /** {@code --history-on-join}: messages a joiner is shown (for the protocol layer). */
    public static final int DEFAULT_ON_JOIN = 50;
    /** {@code --recovery-limit}: the most messages a resume recovers (for the protocol layer). */
    public static final int DEFAULT_RECOVERY_LIMIT = 1_000;
    /** Rooms whose messages {@link InMemoryHistory} keeps, least recently used dropped past it. */
    public static final int DEFAULT_ROOMS = 10_000;
    /** Messages per room {@link InMemoryHistory} keeps by default (as before the SQLite store). */
    public static final int DEFAULT_MEMORY_MESSAGES = 100;

    public HistorySettings {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(maxAge, "maxAge");
        Objects.requireNonNull(dedupWindow, "dedupWindow");
        if (maxMessagesPerRoom < 0) {
            throw new IllegalArgumentException("--history-max-messages must be 0 (no limit) or more: "
                    + maxMessagesPerRoom);
        }
        if (maxAge.isNegative()) {
            throw new IllegalArgumentException("--history-max-age must be 0 (no limit) or more: " + maxAge);
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("--history-queue must be at least 1: " + queueCapacity);
        }
        if (dedupWindow.isNegative()) {
            throw new IllegalArgumentException("dedupWindow must be 0 or more: " + dedupWindow);
        }
    }

    /** The defaults, with history under {@code dataDir}. */
    public static HistorySettings defaults(Path dataDir) {
        return new HistorySettings(dataDir, DEFAULT_MAX_MESSAGES, DEFAULT_MAX_AGE, DEFAULT_QUEUE, DEFAULT_DEDUP_WINDOW);
    }

    /** These settings with another count limit. */
    public HistorySettings withMaxMessagesPerRoom(int max) {
        return new HistorySettings(dataDir, max, maxAge, queueCapacity, dedupWindow);
    }

    /** These settings with another age limit. */
    public HistorySettings withMaxAge(Duration age) {
        return new HistorySettings(dataDir, maxMessagesPerRoom, age, queueCapacity, dedupWindow);
    }

    /** These settings with another queue bound. */
    public HistorySettings withQueueCapacity(int capacity) {
        return new HistorySettings(dataDir, maxMessagesPerRoom, maxAge, capacity, dedupWindow);
    }
}
