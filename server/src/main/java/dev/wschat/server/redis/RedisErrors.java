package dev.wschat.server.redis;

import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisLoadingException;
import io.lettuce.core.RedisNoScriptException;
import org.apache.logging.log4j.Logger;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tells a command Redis refused (an error reply: a script's {@code ERR}, {@code WRONGTYPE}, {@code OOM},
 * {@code NOPERM}...) from Redis not answering (connection refused or lost, a timeout), and logs the former as what
 * it is: the operation, Redis's own message, at ERROR. Redis answered, so it is not down, and sending the command
 * again will not help until someone fixes what Redis complains about.
 *
 * <p>A refusal repeats with every command of its kind (each append to a room with a broken key, each sweep), so each
 * operation is logged at ERROR at most once per {@link #EVERY_MS}, and at DEBUG in between.
 */
final class RedisErrors {
    /** How often one operation's refusals are logged at ERROR. */
    static final long EVERY_MS = 60_000;
    /** Operations remembered; past it they are forgotten all at once (each may then log one more ERROR). */
    private static final int MAX_REMEMBERED = 1_024;

    private final String where;
    private final Map<String, Long> lastLogged = new ConcurrentHashMap<>();

    /** For the Redis at {@code where}, as the log shows it (no credentials). */
    RedisErrors(String where) {
        this.where = where;
    }

    /**
     * Whether Redis answered with an error: the command (or one in {@code failure}'s causes) reached a Redis that
     * refused it. {@code NOSCRIPT} (the callers send the script again), {@code LOADING} and {@code BUSY} (Redis cannot
     * serve anything yet: that is Redis being unavailable, and passes) are not refusals.
     */
    static boolean refused(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RedisCommandExecutionException) {
                return !(t instanceof RedisNoScriptException || t instanceof RedisLoadingException
                        || t instanceof RedisBusyException);
            }
        }
        return false;
    }

    /** The message of {@code failure}'s innermost cause (Redis's own words for a refusal). */
    static String message(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    /**
     * Logs that Redis refused an operation ({@code script presence-sweep}), with Redis's answer, on the caller's
     * logger and prefixed as the caller's lines are ({@code about}: {@code [room] presence:}); at ERROR once per
     * {@link #EVERY_MS} per {@code about} and {@code operation}, else at DEBUG.
     */
    void log(Logger log, String about, String operation, Throwable failure) {
        String key = about + ' ' + operation;
        long now = System.currentTimeMillis();
        Long last = lastLogged.get(key);
        if (last == null || now - last >= EVERY_MS) {
            if (lastLogged.size() >= MAX_REMEMBERED) {
                lastLogged.clear();
            }
            if (last == null ? lastLogged.putIfAbsent(key, now) == null : lastLogged.replace(key, last, now)) {
                log.error("{} {} failed in Redis at {}: {} (repeats within {} s are logged at DEBUG)", about, operation,
                        where, message(failure), EVERY_MS / 1_000);
                return;
            }
        }
        log.debug("{} {} failed in Redis at {}: {}", about, operation, where, message(failure));
    }

    /**
     * Logs a failed command: {@link #log as a refusal} when Redis refused it, else at DEBUG only, as Redis not
     * answering is reported once by whatever watches the connection.
     */
    void failed(Logger log, String about, String operation, Throwable failure) {
        if (refused(failure)) {
            log(log, about, operation, failure);
        } else {
            log.debug("{} {} failed: {}", about, operation, message(failure));
        }
    }
}
