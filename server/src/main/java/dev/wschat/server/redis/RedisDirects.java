package dev.wschat.server.redis;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.broker.AwayRegistry;
import dev.wschat.server.broker.DirectRelay;
import dev.wschat.server.broker.Takeovers;
import dev.wschat.server.history.HistoryUnavailableException;
import dev.wschat.server.metrics.ServerMetrics;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.micrometer.core.instrument.Counter;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Direct messages across nodes: one Pub/Sub channel per user ({@code {u:<id>}:dm}), subscribed on the node's pub/sub
 * connection only while the user has an attached session on this node (changes batched into one {@code SUBSCRIBE}
 * and one {@code UNSUBSCRIBE}, as {@link RedisBroker} does for rooms; subscribed again after every reconnect). A
 * direct message to a user not on the sender's node is {@code PUBLISH}ed to the user's channel on the command
 * connection, and Redis's reply, the number of subscribers that received it, says whether the user is connected
 * anywhere: 0 is {@code no_such_user}, a failure {@code unavailable}.
 *
 * <p>Once at most: each node subscribes to a user's channel once (a second {@code SUBSCRIBE} to a channel is a no-op
 * in Redis) and hands each message to the user's one session on that node; the sender's node publishes only when it
 * has no session of the recipient, so a message reaches a node either from the sender or from the channel, never
 * both. Two tabs of a signed-in user (one id, two resume keys) on two nodes both get it.
 *
 * <p>Takeovers: a node that resumes a session publishes it on one channel every node subscribes to
 * ({@value #TAKEOVER}, subscribed again after every reconnect), and the node that still holds the session ends it
 * there: closed with 4009 when still attached (the balancer sent the reconnect elsewhere before the first node saw
 * the old connection drop, or a tab was duplicated; until then each of the two connections gets a message once), or,
 * when detached, ended without notices before its resume window runs out. Not the user's channel: a detached session
 * is not subscribed to it, and must not be, or a direct message to it would count a receiver and not answer
 * {@code no_such_user}.
 *
 * <p>Threads: messages arrive on the pub/sub connection's thread and are handed to the recipient session's event
 * loop in the order Redis sent them; publishes complete on the command connection's thread in the order sent.
 * Subscription changes run on {@link RedisConnections}' own thread. Lettuce's bounded request queue bounds the
 * publishes in flight: past it a message fails with {@code unavailable}.
 */
public final class RedisDirects implements DirectRelay, Takeovers, AwayRegistry {
    static final long RETRY_MS = 1_000;
    private static final String PREFIX = "{u:";
    private static final String SUFFIX = "}:dm";
    /** Where every node hears of sessions resumed on another node (no room or user channel has a {@code :} here). */
    static final String TAKEOVER = "wschat:takeover";
    private static final Logger LOG = LogManager.getLogger(RedisDirects.class);

    private final RedisConnections redis;
    private final Recipient local;
    private final Takeovers.Listener takeovers;
    private final String node = UUID.randomUUID().toString();
    /** Users with an attached session here; a user is present until its unsubscribe is sent. */
    private final Map<String, UserState> users = new ConcurrentHashMap<>();
    private final Queue<String> changed = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final Counter relayed;
    private final Counter delivered;
    private final Counter missed;
    private volatile boolean closed;

    /**
     * Creates the relay; call before {@link RedisConnections#start()}.
     *
     * @param redis   the node's connections
     * @param local     delivers a message that arrived for a user on this node
     * @param takeovers ends a session here that another node resumed
     * @param metrics   where the relay's counters go
     */
    public RedisDirects(RedisConnections redis, Recipient local, Takeovers.Listener takeovers,
                        ServerMetrics metrics) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.local = Objects.requireNonNull(local, "local");
        this.takeovers = Objects.requireNonNull(takeovers, "takeovers");
        Objects.requireNonNull(metrics, "metrics");
        relayed = metrics.counter("wschat.redis.dm.relayed",
                "Direct messages this node published to a user on another node that a node received");
        delivered = metrics.counter("wschat.redis.dm.delivered",
                "Direct messages from other nodes delivered to a session on this node");
        missed = metrics.counter("wschat.redis.dm.missed",
                "Direct messages from other nodes whose recipient's session here had just ended");
        metrics.gauge("wschat.redis.subscribed.users", "Users whose direct-message channel this node subscribes to",
                users::size);
        redis.pubSub(new Listener(), this::resubscribeAll);
    }

    /** The user's direct-message channel. */
    static String channel(String userId) {
        return PREFIX + userId + SUFFIX;
    }

    /** The user of a channel made by {@link #channel}, or {@code null} for any other channel. */
    static String userOf(String channel) {
        if (!channel.startsWith(PREFIX) || !channel.endsWith(SUFFIX)
                || channel.length() < PREFIX.length() + SUFFIX.length()) {
            return null;
        }
        return channel.substring(PREFIX.length(), channel.length() - SUFFIX.length());
    }

    @Override
    public void userChanged(String userId, boolean here) {
        users.compute(userId, (id, state) -> {
            if (here) {
                UserState s = state != null ? state : new UserState();
                s.wanted = true;
                return s;
            }
            if (state != null) {
                state.wanted = false;
            }
            return state;
        });
        changed.add(userId);
        scheduleFlush(0);
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
            return CompletableFuture.failedFuture(new HistoryUnavailableException("redis: not connected to "
                    + redis.where()));
        }
        CompletableFuture<Long> receivers = new CompletableFuture<>();
        try {
            c.async().publish(channel(dm.to()), "d " + encode(dm)).whenComplete((count, failure) -> {
                if (failure != null) {
                    redis.errors().failed(LOG, "[" + dm.to() + "]", "PUBLISH of a direct message", failure);
                    receivers.completeExceptionally(new HistoryUnavailableException("redis: a direct message was not "
                            + "published on " + redis.where() + ": " + RedisErrors.message(failure), failure));
                } else {
                    if (count > 0) {
                        relayed.increment();
                    }
                    receivers.complete(count);
                }
            });
        } catch (RuntimeException e) {
            receivers.completeExceptionally(new HistoryUnavailableException("redis: a direct message was not "
                    + "published on " + redis.where() + ": " + RedisErrors.message(e), e));
        }
        return receivers;
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
            c.async().publish(TAKEOVER, o.toString()).exceptionally(failure -> {
                redis.errors().failed(LOG, "[" + userId + "]", "PUBLISH of a takeover", failure);
                return null;
            });
        } catch (RuntimeException e) {
            LOG.debug("[{}] takeover not published: {}", userId, e.toString());
        }
    }

    /** The sorted set of the user's sessions kept for a resume on any node: resume key, scored by window end. */
    static String awayKey(String userId) {
        return PREFIX + userId + "}:away";
    }

    @Override
    public void away(String userId, String resumeKey, java.time.Instant until) {
        StatefulRedisConnection<String, String> c = redis.commands();
        if (closed || c == null || !c.isOpen()) {
            return;
        }
        String key = awayKey(userId);
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
        StatefulRedisConnection<String, String> c = redis.commands();
        if (closed || c == null || !c.isOpen()) {
            return;
        }
        try {
            c.async().zrem(awayKey(userId), resumeKey).exceptionally(failure -> {
                redis.errors().failed(LOG, "[" + userId + "]", "ZREM of a session back", failure);
                return null;
            });
        } catch (RuntimeException e) {
            LOG.debug("[{}] session back not recorded: {}", userId, e.toString());
        }
    }

    @Override
    public CompletionStage<List<String>> awayKeys(String userId) {
        StatefulRedisConnection<String, String> c = redis.commands();
        if (closed || c == null || !c.isOpen()) {
            return CompletableFuture.failedFuture(new HistoryUnavailableException("redis: not connected to "
                    + redis.where()));
        }
        try {
            return c.async().zrangebyscore(awayKey(userId), io.lettuce.core.Range.create(
                    (double) System.currentTimeMillis(), Double.POSITIVE_INFINITY));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new HistoryUnavailableException("redis: "
                    + RedisErrors.message(e), e));
        }
    }

    private void scheduleFlush(long delayMs) {
        if (flushScheduled.compareAndSet(false, true)) {
            redis.schedule(this::flush, delayMs);
        }
    }

    /** Sends the subscription changes recorded since the last flush, as one SUBSCRIBE and one UNSUBSCRIBE. */
    private void flush() {
        flushScheduled.set(false);
        Set<String> ids = new LinkedHashSet<>();
        String id;
        while ((id = changed.poll()) != null) {
            ids.add(id);
        }
        StatefulRedisPubSubConnection<String, String> p = redis.pubsub();
        if (ids.isEmpty() || closed) {
            return;
        }
        boolean connected = p != null && p.isOpen();
        List<String> subscribe = new ArrayList<>();
        List<String> unsubscribe = new ArrayList<>();
        for (String user : ids) {
            users.compute(user, (k, s) -> {
                if (s == null) {
                    return null;
                }
                if (!s.wanted) {
                    if (s.subscribeSent) {
                        unsubscribe.add(channel(k));
                    }
                    return null;
                }
                if (!s.subscribeSent && connected) {
                    s.subscribeSent = true;
                    subscribe.add(channel(k));
                }
                return s;
            });
        }
        if (!connected) {
            return; // resubscribeAll runs when the pub/sub connection opens
        }
        if (!unsubscribe.isEmpty()) {
            try {
                p.async().unsubscribe(unsubscribe.toArray(String[]::new));
            } catch (RuntimeException e) {
                LOG.debug("redis: unsubscribing from {} users' direct messages failed: {}", unsubscribe.size(),
                        e.toString());
            }
        }
        if (!subscribe.isEmpty()) {
            try {
                p.async().subscribe(subscribe.toArray(String[]::new)).whenComplete((ok, failure) -> {
                    if (failure != null) {
                        redis.errors().failed(LOG, "redis:", "SUBSCRIBE to " + subscribe.size()
                                + " users' direct messages", failure);
                        retrySubscribe(subscribe);
                    }
                });
            } catch (RuntimeException e) {
                retrySubscribe(subscribe);
            }
        }
    }

    private void retrySubscribe(List<String> channels) {
        for (String channel : channels) {
            String user = userOf(channel);
            UserState s = users.get(user);
            if (s != null) {
                s.subscribeSent = false;
                changed.add(user);
            }
        }
        scheduleFlush(RETRY_MS);
    }

    /** After the pub/sub connection opened (again): the takeover channel and every user here are subscribed again. */
    private void resubscribeAll() {
        subscribeTakeovers();
        users.forEach((user, s) -> {
            s.subscribeSent = false;
            changed.add(user);
        });
        scheduleFlush(0);
    }

    /** Subscribes to {@link #TAKEOVER}, retried every {@link #RETRY_MS} until Redis takes it or the connection goes. */
    private void subscribeTakeovers() {
        StatefulRedisPubSubConnection<String, String> p = redis.pubsub();
        if (closed || p == null || !p.isOpen()) {
            return; // resubscribeAll runs again when the pub/sub connection opens
        }
        try {
            p.async().subscribe(TAKEOVER).whenComplete((ok, failure) -> {
                if (failure != null) {
                    redis.errors().failed(LOG, "redis:", "SUBSCRIBE to takeovers", failure);
                    redis.schedule(this::subscribeTakeovers, RETRY_MS);
                }
            });
        } catch (RuntimeException e) {
            LOG.debug("redis: subscribing to takeovers failed: {}", e.toString());
            redis.schedule(this::subscribeTakeovers, RETRY_MS);
        }
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
    }

    /** What Redis Pub/Sub tells this node on users' channels; room channels are {@link RedisBroker}'s. */
    private final class Listener extends RedisPubSubAdapter<String, String> {
        @Override
        public void message(String channel, String payload) {
            if (TAKEOVER.equals(channel)) {
                takeover(payload);
                return;
            }
            String user = userOf(channel);
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

        private void takeover(String payload) {
            if (closed) {
                return;
            }
            try {
                JsonObject o = JsonParser.parseString(payload).getAsJsonObject();
                if (!node.equals(o.get("node").getAsString())) {
                    takeovers.resumedElsewhere(o.get("user").getAsString(), o.get("key").getAsString());
                }
            } catch (RuntimeException e) {
                LOG.warn("redis: unreadable takeover skipped: {}", e.toString());
            }
        }
    }

    /** One user's subscription on this node. */
    private static final class UserState {
        /** Whether the user has an attached session here (set in {@link #userChanged}). */
        volatile boolean wanted;
        /** Whether a SUBSCRIBE was sent on the current pub/sub connection (flush thread). */
        volatile boolean subscribeSent;
    }
}
