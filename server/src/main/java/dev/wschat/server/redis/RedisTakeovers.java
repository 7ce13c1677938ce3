package dev.wschat.server.redis;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.wschat.server.broker.Takeovers;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.Objects;
import java.util.UUID;

/**
 * Takeovers across nodes: a node that resumes a session publishes it on one channel every node subscribes to
 * ({@value RedisKeys#TAKEOVERS}, subscribed again after every reconnect), and the node that still holds the session
 * ends it there: closed with 4009 when still attached (the balancer sent the reconnect elsewhere before the first node
 * saw the old connection drop, or a tab was duplicated; until then each of the two connections gets a message once),
 * or, when detached, ended without notices before its resume window runs out. Not the user's direct-message channel:
 * a detached session is not subscribed to it, and must not be, or a direct message to it would count a receiver and
 * not answer {@code no_such_user}.
 *
 * <p>Threads: takeovers arrive on the pub/sub connection's thread; the subscription is sent from
 * {@link RedisConnections}' own thread.
 */
public final class RedisTakeovers implements Takeovers, AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(RedisTakeovers.class);

    private final RedisConnections redis;
    private final Takeovers.Listener local;
    private final String node = UUID.randomUUID().toString();
    private volatile boolean closed;

    /**
     * Creates the takeovers; call before {@link RedisConnections#start()}.
     *
     * @param redis the node's connections
     * @param local ends a session here that another node resumed
     */
    public RedisTakeovers(RedisConnections redis, Takeovers.Listener local) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.local = Objects.requireNonNull(local, "local");
        redis.pubSub(new Listener(), this::subscribe);
    }

    @Override
    public void resumed(String userId, String resumeKey) {
        StatefulRedisConnection<String, String> c = redis.commands();
        if (closed || c == null || !c.isOpen()) {
            return;
        }
        JsonObject o = new JsonObject();
        o.addProperty("node", node);
        o.addProperty("user", userId);
        o.addProperty("key", resumeKey);
        try {
            c.async().publish(RedisKeys.TAKEOVERS, o.toString()).exceptionally(failure -> {
                redis.errors().failed(LOG, "[" + userId + "]", "PUBLISH of a takeover", failure);
                return null;
            });
        } catch (RuntimeException e) {
            LOG.debug("[{}] takeover not published: {}", userId, e.toString());
        }
    }

    /** Subscribes to the takeovers, tried again until Redis takes it or the connection goes (then on its return). */
    private void subscribe() {
        StatefulRedisPubSubConnection<String, String> p = redis.pubsub();
        if (closed || p == null || !p.isOpen()) {
            return; // runs again when the pub/sub connection opens
        }
        try {
            p.async().subscribe(RedisKeys.TAKEOVERS).whenComplete((ok, failure) -> {
                if (failure != null) {
                    redis.errors().failed(LOG, "redis:", "SUBSCRIBE to takeovers", failure);
                    redis.schedule(this::subscribe, Subscriptions.RETRY_MS);
                }
            });
        } catch (RuntimeException e) {
            LOG.debug("redis: subscribing to takeovers failed: {}", e.toString());
            redis.schedule(this::subscribe, Subscriptions.RETRY_MS);
        }
    }

    /** Stops publishing and ending sessions. */
    @Override
    public void close() {
        closed = true;
    }

    /** What Redis Pub/Sub tells this node on the takeover channel. */
    private final class Listener extends RedisPubSubAdapter<String, String> {
        @Override
        public void message(String channel, String payload) {
            if (closed || !RedisKeys.TAKEOVERS.equals(channel)) {
                return;
            }
            try {
                JsonObject o = JsonParser.parseString(payload).getAsJsonObject();
                if (!node.equals(o.get("node").getAsString())) {
                    local.resumedElsewhere(o.get("user").getAsString(), o.get("key").getAsString());
                }
            } catch (RuntimeException e) {
                LOG.warn("redis: unreadable takeover skipped: {}", e.toString());
            }
        }
    }
}
