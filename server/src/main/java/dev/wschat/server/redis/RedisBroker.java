package dev.wschat.server.redis;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.backend.BackendUnavailableException;
import dev.wschat.server.broker.Broker;
import dev.wschat.server.broker.RoomEvent;
import dev.wschat.server.history.Page;
import dev.wschat.server.metrics.ServerMetrics;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.micrometer.core.instrument.Counter;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The broker across nodes: Redis Pub/Sub, one channel per room ({@code {room}:ch}), subscribed on the node's
 * pub/sub connection only while this node has members of the room ({@link Subscriptions}: changes batched into one
 * {@code SUBSCRIBE}/{@code UNSUBSCRIBE} each), so a node with no member of a room receives none of its traffic.
 *
 * <p>Chat messages reach this node's members only from the subscription, never straight from the append: the
 * {@link RedisHistory} script publishes each stored message with its seq and epoch, and this broker delivers a
 * room's messages strictly in seq order, each once. That is one path and one order for every member on every node,
 * the sender's own echo included (it may come after the sender's {@code ack}, which is sent when the script
 * returned). Each subscribed room's order and gap repair is a {@link RoomOrder}, reading the room's stream through
 * {@link RedisHistory}; after the pub/sub connection comes back every room is subscribed again and caught up from
 * its stream. A joiner's history is read only once its room's order has its start ({@link #ready}), so history and
 * live messages meet without a gap.
 *
 * <p>Other room events (join, leave and rename notices) go to this node's members at once and to the other nodes
 * through the same channel as a second kind of payload ({@code e <json>} beside {@code c <seq> <epoch> <json>});
 * nodes skip their own. They are not numbered, so they are not repaired: a notice published while a node was
 * disconnected from Redis is lost for that node's members. Presence is shared by {@link RedisPresence}.
 *
 * <p>Threads: pub/sub messages arrive on the pub/sub connection's thread, repair reads complete on the command
 * connection's thread; a room's order is guarded by its own monitor, held only to hand events to the fan-out
 * (which queues them per event loop). Subscription changes run on {@link RedisConnections}' own thread.
 */
public final class RedisBroker implements Broker {
    /**
     * The longest a joiner waits for its room's subscription; past it the joiner gets {@code unavailable} (its
     * history read then could miss what was published before the subscription became active).
     */
    static final long READY_TIMEOUT_MS = 10_000;
    private static final Logger LOG = LogManager.getLogger(RedisBroker.class);

    private final RedisConnections redis;
    private final Subscriber local;
    private final String node = UUID.randomUUID().toString();
    private final Subscriptions<RoomOrder> rooms;
    private final Counter received;
    private volatile boolean closed;

    /**
     * Creates the broker; call before {@link RedisConnections#start()}.
     *
     * @param redis   the node's connections
     * @param history the stream reader for repairs
     * @param local   this node's subscriber (the room registry)
     * @param metrics where the pub/sub and repair counters go
     */
    public RedisBroker(RedisConnections redis, RedisHistory history, Subscriber local, ServerMetrics metrics) {
        this.redis = Objects.requireNonNull(redis, "redis");
        Objects.requireNonNull(history, "history");
        this.local = Objects.requireNonNull(local, "local");
        Objects.requireNonNull(metrics, "metrics");
        received = metrics.counter("wschat.redis.pubsub.received",
                "Messages this node received from Redis Pub/Sub on room channels");
        Counter gapsRepaired = metrics.counter("wschat.redis.gaps.repaired",
                "Gaps in a room's seq (missed pub/sub messages) filled from the room's stream");
        Counter repairFetched = metrics.counter("wschat.redis.repair.fetched",
                "Messages read from rooms' streams to fill gaps and delivered");
        RoomOrder.Host host = new RoomOrder.Host() {
            @Override
            public CompletionStage<Page> position(String room) {
                return history.recent(room, 0);
            }

            @Override
            public CompletionStage<Page> after(String room, long seq, int limit) {
                return history.after(room, seq, limit);
            }

            @Override
            public void deliver(String room, ServerMessage.Chat chat) {
                local.deliver(new RoomEvent(room, chat, chat.from().id(), RoomEvent.Exclusion.SENDER_IF_TUTORIAL));
            }

            @Override
            public void retryLater(Runnable task) {
                redis.schedule(task, Subscriptions.RETRY_MS);
            }

            @Override
            public void repaired(int filled) {
                gapsRepaired.increment();
                repairFetched.increment(filled);
            }
        };
        this.rooms = new Subscriptions<>(redis, "rooms", RedisKeys::roomChannel, RedisKeys::roomOf,
                room -> new RoomOrder(room, host), RoomOrder::end);
        metrics.gauge("wschat.redis.subscribed.rooms", "Rooms this node subscribes to", rooms::size);
        redis.pubSub(new Listener(), rooms::resubscribeAll);
    }

    @Override
    public void publish(RoomEvent event) {
        Objects.requireNonNull(event, "event");
        if (closed || event.message() instanceof ServerMessage.Chat) {
            return; // the append script published it; it comes back through the subscription in seq order
        }
        local.deliver(event);
        if (!(event.message() instanceof ServerMessage.Notice notice)) {
            return;
        }
        StatefulRedisConnection<String, String> c = redis.commands();
        if (c == null || !c.isOpen()) {
            return;
        }
        try {
            c.async().publish(RedisKeys.roomChannel(event.room()), "e " + encode(event, notice))
                    .exceptionally(failure -> {
                        redis.errors().failed(LOG, "[" + event.room() + "]", "PUBLISH of a notice", failure);
                        return null;
                    });
        } catch (RuntimeException e) {
            LOG.debug("[{}] notice not published: {}", event.room(), e.toString());
        }
    }

    @Override
    public void membersChanged(String room, boolean hasMembers) {
        rooms.changed(room, hasMembers);
    }

    @Override
    public CompletionStage<Void> ready(String room) {
        RoomOrder order = rooms.get(room);
        if (order == null || !redis.up()) {
            return CompletableFuture.completedFuture(null); // the history read that follows fails fast instead
        }
        return order.ready().copy().orTimeout(READY_TIMEOUT_MS, TimeUnit.MILLISECONDS).exceptionallyCompose(failure -> {
            LOG.warn("[{}] the room's subscription is not active after {} ms; its joiner gets unavailable", room,
                    READY_TIMEOUT_MS);
            return CompletableFuture.failedFuture(new BackendUnavailableException("redis: the subscription to "
                    + room + " is not active yet", failure));
        });
    }

    private String encode(RoomEvent event, ServerMessage.Notice n) {
        JsonObject o = new JsonObject();
        o.addProperty("node", node);
        o.addProperty("k", n.kind().name());
        o.addProperty("u", n.user().id());
        o.addProperty("n", n.user().username());
        o.addProperty("old", n.oldUsername());
        o.addProperty("ts", n.timestamp());
        o.addProperty("s", event.senderId());
        o.addProperty("x", event.exclusion().name());
        return o.toString();
    }

    /** Delivers another node's notice; skips this node's own (its members had it at once). */
    private void onEvent(String room, String json) {
        JsonObject o = JsonParser.parseString(json).getAsJsonObject();
        if (node.equals(str(o, "node"))) {
            return;
        }
        ServerMessage.Notice notice = new ServerMessage.Notice(ServerMessage.NoticeKind.valueOf(str(o, "k")), room,
                new ServerMessage.User(str(o, "u"), str(o, "n")), str(o, "old"), str(o, "ts"));
        local.deliver(new RoomEvent(room, notice, str(o, "s"), RoomEvent.Exclusion.valueOf(str(o, "x"))));
    }

    private static String str(JsonObject o, String field) {
        return o.has(field) && !o.get(field).isJsonNull() ? o.get(field).getAsString() : null;
    }

    @Override
    public void close() {
        closed = true;
        rooms.close();
        rooms.forEach(order -> {
            order.end();
            order.ready().complete(null);
        });
    }

    /** What Redis Pub/Sub tells this node on room channels. */
    private final class Listener extends RedisPubSubAdapter<String, String> {
        @Override
        public void message(String channel, String payload) {
            String room = RedisKeys.roomOf(channel);
            if (room == null) {
                return; // another component's channel
            }
            received.increment();
            RoomOrder order = rooms.get(room);
            if (closed || payload.length() < 2 || order == null) {
                return; // unsubscribed meanwhile
            }
            try {
                if (payload.charAt(0) == 'c') {
                    int a = payload.indexOf(' ', 2);
                    int b = payload.indexOf(' ', a + 1);
                    long seq = Long.parseLong(payload.substring(2, a));
                    order.live(seq, payload.substring(a + 1, b), RedisHistory.decode(room, seq,
                            payload.substring(b + 1)));
                } else if (payload.charAt(0) == 'e') {
                    onEvent(room, payload.substring(2));
                }
            } catch (RuntimeException e) {
                LOG.warn("[{}] unreadable pub/sub message skipped: {}", room, e.toString());
            }
        }

        @Override
        public void subscribed(String channel, long count) {
            RoomOrder order = rooms.ofChannel(channel);
            if (order != null) {
                order.subscribed();
            }
        }
    }
}
