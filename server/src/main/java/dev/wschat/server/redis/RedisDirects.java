package dev.wschat.server.redis;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.backend.BackendUnavailableException;
import dev.wschat.server.broker.DirectRelay;
import dev.wschat.server.metrics.ServerMetrics;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.micrometer.core.instrument.Counter;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Direct messages across nodes: one Pub/Sub channel per user ({@code {u:<id>}:dm}), subscribed on the node's pub/sub
 * connection only while the user has an attached session on this node ({@link Subscriptions}: changes batched into
 * one {@code SUBSCRIBE} and one {@code UNSUBSCRIBE}, subscribed again after every reconnect). A direct message to a
 * user not on the sender's node is {@code PUBLISH}ed to the user's channel on the command connection, and Redis's
 * reply, the number of subscribers that received it, says whether the user is connected anywhere: 0 is
 * {@code no_such_user}, a failure {@code unavailable}.
 *
 * <p>Once at most: each node subscribes to a user's channel once (a second {@code SUBSCRIBE} to a channel is a no-op
 * in Redis) and hands each message to the user's one session on that node; the sender's node publishes only when it
 * has no session of the recipient, so a message reaches a node either from the sender or from the channel, never
 * both. Two tabs of a signed-in user (one id, two resume keys) on two nodes both get it.
 *
 * <p>Threads: messages arrive on the pub/sub connection's thread and are handed to the recipient session's event
 * loop in the order Redis sent them; publishes complete on the command connection's thread in the order sent.
 * Subscription changes run on {@link RedisConnections}' own thread. Lettuce's bounded request queue bounds the
 * publishes in flight: past it a message fails with {@code unavailable}.
 */
public final class RedisDirects implements DirectRelay {
    private static final Logger LOG = LogManager.getLogger(RedisDirects.class);

    private final RedisConnections redis;
    private final Recipient local;
    /** Users with an attached session here; a user is present until its unsubscribe is sent. */
    private final Subscriptions<String> users;
    private final Counter relayed;
    private final Counter delivered;
    private final Counter missed;
    private volatile boolean closed;

    /**
     * Creates the relay; call before {@link RedisConnections#start()}.
     *
     * @param redis   the node's connections
     * @param local   delivers a message that arrived for a user on this node
     * @param metrics where the relay's counters go
     */
    public RedisDirects(RedisConnections redis, Recipient local, ServerMetrics metrics) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.local = Objects.requireNonNull(local, "local");
        Objects.requireNonNull(metrics, "metrics");
        relayed = metrics.counter("wschat.redis.dm.relayed",
                "Direct messages this node published to a user on another node that a node received");
        delivered = metrics.counter("wschat.redis.dm.delivered",
                "Direct messages from other nodes delivered to a session on this node");
        missed = metrics.counter("wschat.redis.dm.missed",
                "Direct messages from other nodes whose recipient's session here had just ended");
        users = new Subscriptions<>(redis, "users' direct messages", RedisKeys::userChannel, RedisKeys::userOf,
                user -> user, user -> { });
        metrics.gauge("wschat.redis.subscribed.users", "Users whose direct-message channel this node subscribes to",
                users::size);
        redis.pubSub(new Listener(), users::resubscribeAll);
    }

    @Override
    public void userChanged(String userId, boolean here) {
        users.changed(userId, here);
    }

    @Override
    public boolean reachesOtherNodes() {
        return true;
    }

    @Override
    public CompletionStage<Long> send(ServerMessage.Direct dm) {
        Objects.requireNonNull(dm, "dm");
        StatefulRedisConnection<String, String> c = redis.commands();
        if (closed || c == null || !c.isOpen()) {
            return CompletableFuture.failedFuture(new BackendUnavailableException("redis: not connected to "
                    + redis.where()));
        }
        CompletableFuture<Long> receivers = new CompletableFuture<>();
        try {
            c.async().publish(RedisKeys.userChannel(dm.to()), "d " + encode(dm)).whenComplete((count, failure) -> {
                if (failure != null) {
                    redis.errors().failed(LOG, "[" + dm.to() + "]", "PUBLISH of a direct message", failure);
                    receivers.completeExceptionally(notPublished(failure));
                } else {
                    if (count > 0) {
                        relayed.increment();
                    }
                    receivers.complete(count);
                }
            });
        } catch (RuntimeException e) {
            receivers.completeExceptionally(notPublished(e));
        }
        return receivers;
    }

    private BackendUnavailableException notPublished(Throwable failure) {
        return new BackendUnavailableException("redis: a direct message was not published on " + redis.where() + ": "
                + RedisErrors.message(failure), failure);
    }

    private static String encode(ServerMessage.Direct dm) {
        JsonObject o = new JsonObject();
        o.addProperty("id", dm.id());
        o.addProperty("u", dm.from().id());
        o.addProperty("n", dm.from().username());
        o.addProperty("to", dm.to());
        o.addProperty("m", dm.message());
        o.addProperty("ts", dm.timestamp());
        return o.toString();
    }

    private static ServerMessage.Direct decode(String json) {
        JsonObject o = JsonParser.parseString(json).getAsJsonObject();
        return new ServerMessage.Direct(o.get("id").getAsString(),
                new ServerMessage.User(o.get("u").getAsString(), o.get("n").getAsString()), o.get("to").getAsString(),
                o.get("m").getAsString(), o.get("ts").getAsString());
    }

    @Override
    public void close() {
        closed = true;
        users.close();
    }

    /** What Redis Pub/Sub tells this node on users' channels. */
    private final class Listener extends RedisPubSubAdapter<String, String> {
        @Override
        public void message(String channel, String payload) {
            String user = RedisKeys.userOf(channel);
            if (user == null || closed || payload.length() < 2) {
                return;
            }
            try {
                ServerMessage.Direct dm = decode(payload.substring(2));
                if (!user.equals(dm.to())) {
                    LOG.warn("[{}] direct message for {} on this user's channel skipped", user, dm.to());
                } else if (local.deliver(dm)) {
                    delivered.increment();
                } else {
                    missed.increment(); // the session ended before its unsubscribe reached Redis
                }
            } catch (RuntimeException e) {
                LOG.warn("[{}] unreadable direct message skipped: {}", user, e.toString());
            }
        }
    }
}
