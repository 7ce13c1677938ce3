package dev.wschat.server.redis;

import dev.wschat.server.backend.BackendUnavailableException;
import dev.wschat.server.broker.AwayRegistry;
import io.lettuce.core.Range;
import io.lettuce.core.api.StatefulRedisConnection;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The sessions kept for a resume on any node, in Redis: per user a sorted set of their resume keys scored by the end
 * of their resume window ({@code {u:<id>}:away}), which expires with its newest entry. Writes are best effort and
 * never wait; a read fails with {@link BackendUnavailableException} while Redis cannot answer.
 */
public final class RedisAwayRegistry implements AwayRegistry, AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(RedisAwayRegistry.class);

    private final RedisConnections redis;
    private volatile boolean closed;

    /**
     * Creates the registry on the node's connections.
     *
     * @param redis the node's connections
     */
    public RedisAwayRegistry(RedisConnections redis) {
        this.redis = Objects.requireNonNull(redis, "redis");
    }

    @Override
    public void away(String userId, String resumeKey, Instant until) {
        StatefulRedisConnection<String, String> c = open();
        if (c == null) {
            return;
        }
        String key = RedisKeys.away(userId);
        long ttl = Math.max(1, until.toEpochMilli() - System.currentTimeMillis());
        try {
            // Every window has the same length: the newest entry ends last, so the key lives as long as any entry.
            c.async().zadd(key, until.toEpochMilli(), resumeKey).exceptionally(failure -> {
                redis.errors().failed(LOG, "[" + userId + "]", "ZADD of a session away", failure);
                return null;
            });
            c.async().pexpire(key, ttl);
        } catch (RuntimeException e) {
            LOG.debug("[{}] session away not recorded: {}", userId, e.toString());
        }
    }

    @Override
    public void back(String userId, String resumeKey) {
        StatefulRedisConnection<String, String> c = open();
        if (c == null) {
            return;
        }
        try {
            c.async().zrem(RedisKeys.away(userId), resumeKey).exceptionally(failure -> {
                redis.errors().failed(LOG, "[" + userId + "]", "ZREM of a session back", failure);
                return null;
            });
        } catch (RuntimeException e) {
            LOG.debug("[{}] session back not recorded: {}", userId, e.toString());
        }
    }

    @Override
    public CompletionStage<List<String>> awayKeys(String userId) {
        StatefulRedisConnection<String, String> c = open();
        if (c == null) {
            return CompletableFuture.failedFuture(new BackendUnavailableException("redis: not connected to "
                    + redis.where()));
        }
        try {
            return c.async().zrangebyscore(RedisKeys.away(userId),
                    Range.create((double) System.currentTimeMillis(), Double.POSITIVE_INFINITY));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new BackendUnavailableException("redis: "
                    + RedisErrors.message(e), e));
        }
    }

    /** The command connection while open and this is not closed, else {@code null}. */
    private StatefulRedisConnection<String, String> open() {
        StatefulRedisConnection<String, String> c = redis.commands();
        return closed || c == null || !c.isOpen() ? null : c;
    }

    /** Records nothing more. */
    @Override
    public void close() {
        closed = true;
    }
}
