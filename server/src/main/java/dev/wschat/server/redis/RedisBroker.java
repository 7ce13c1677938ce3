package dev.wschat.server.redis;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.broker.Broker;
import dev.wschat.server.broker.RoomEvent;
import dev.wschat.server.history.HistoryUnavailableException;
import dev.wschat.server.history.Page;
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
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The broker across nodes: Redis Pub/Sub, one channel per room ({@code {room}:ch}), subscribed on the dedicated
 * pub/sub connection only while this node has members of the room (changes are batched into one
 * {@code SUBSCRIBE}/{@code UNSUBSCRIBE} each), so a node with no member of a room receives none of its traffic.
 *
 * <p>Chat messages reach this node's members only from the subscription, never straight from the append: the
 * {@link RedisHistory} script publishes each stored message with its seq and epoch, and this broker delivers a
 * room's messages strictly in seq order, each once. That is one path and one order for every member on every node,
 * the sender's own echo included (it may come after the sender's {@code ack}, which is sent when the script
 * returned). Per subscribed room it keeps the last seq delivered: a message with a later seq than the next one is
 * held, the missing ones are read from the room's stream ({@code XRANGE}, asynchronously) and delivered first;
 * after the pub/sub connection comes back every room is subscribed again and caught up from its stream the same
 * way. A room's seq starts where the stream was when its subscription became active ({@link #ready}), and a
 * joiner's history is read only after that, so history and live messages meet without a gap. A new epoch (Redis
 * lost the room) starts the room over at seq 0.
 *
 * <p>Other room events (join, leave and rename notices) go to this node's members at once and to the other nodes
 * through the same channel as a second kind of payload ({@code e <json>} beside {@code c <seq> <epoch> <json>});
 * nodes skip their own. They are not numbered, so they are not repaired: a notice published while a node was
 * disconnected from Redis is lost for that node's members. Presence is shared by {@link RedisPresence}.
 *
 * <p>Threads: pub/sub messages arrive on the pub/sub connection's thread, repair reads complete on the command
 * connection's thread; a room's delivery state is guarded by its own monitor, held only to hand events to the
 * fan-out (which queues them per event loop). Subscription changes run on {@link RedisConnections}' own thread.
 */
public final class RedisBroker implements Broker {
    /** Messages read from a stream per repair step. */
    static final int REPAIR_BATCH = 500;
    /** Messages held per room while a gap is repaired; past it the newest are dropped (the repair reads them again). */
    static final int MAX_PENDING = 10_000;
    /**
     * The longest a joiner waits for its room's subscription; past it the joiner gets {@code unavailable} (its
     * history read then could miss what was published before the subscription became active).
     */
    static final long READY_TIMEOUT_MS = 10_000;
    static final long RETRY_MS = 1_000;
    private static final Logger LOG = LogManager.getLogger(RedisBroker.class);

    private final RedisConnections redis;
    private final RedisHistory history;
    private final Subscriber local;
    private final String node = UUID.randomUUID().toString();
    private final Map<String, RoomState> rooms = new ConcurrentHashMap<>();
    private final Queue<String> changed = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final Counter received;
    private final Counter gapsRepaired;
    private final Counter repairFetched;
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
        this.history = Objects.requireNonNull(history, "history");
        this.local = Objects.requireNonNull(local, "local");
        Objects.requireNonNull(metrics, "metrics");
        received = metrics.counter("wschat.redis.pubsub.received", "Messages this node received from Redis Pub/Sub");
        gapsRepaired = metrics.counter("wschat.redis.gaps.repaired",
                "Gaps in a room's seq (missed pub/sub messages) filled from the room's stream");
        repairFetched = metrics.counter("wschat.redis.repair.fetched",
                "Messages read from rooms' streams to fill gaps and delivered");
        metrics.gauge("wschat.redis.subscribed.rooms", "Rooms this node subscribes to", rooms::size);
        redis.pubSub(new Listener(), this::resubscribeAll);
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
            c.async().publish(RedisHistory.channel(event.room()), "e " + encode(event, notice))
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
        rooms.compute(room, (name, state) -> {
            if (hasMembers) {
                RoomState s = state != null ? state : new RoomState(name);
                s.wanted = true;
                return s;
            }
            if (state != null) {
                state.wanted = false;
            }
            return state;
        });
        changed.add(room);
        scheduleFlush(0);
    }

    @Override
    public CompletionStage<Void> ready(String room) {
        RoomState state = rooms.get(room);
        if (state == null || !redis.up()) {
            return CompletableFuture.completedFuture(null); // the history read that follows fails fast instead
        }
        return state.ready.copy().orTimeout(READY_TIMEOUT_MS, TimeUnit.MILLISECONDS).exceptionallyCompose(failure -> {
            LOG.warn("[{}] the room's subscription is not active after {} ms; its joiner gets unavailable", room,
                    READY_TIMEOUT_MS);
            return CompletableFuture.failedFuture(new HistoryUnavailableException("redis: the subscription to "
                    + room + " is not active yet", failure));
        });
    }

    private void scheduleFlush(long delayMs) {
        if (flushScheduled.compareAndSet(false, true)) {
            redis.schedule(this::flush, delayMs);
        }
    }

    /** Sends the subscription changes recorded since the last flush, as one SUBSCRIBE and one UNSUBSCRIBE. */
    private void flush() {
        flushScheduled.set(false);
        Set<String> names = new LinkedHashSet<>();
        String room;
        while ((room = changed.poll()) != null) {
            names.add(room);
        }
        StatefulRedisPubSubConnection<String, String> p = redis.pubsub();
        if (names.isEmpty() || closed) {
            return;
        }
        boolean connected = p != null && p.isOpen();
        List<String> subscribe = new ArrayList<>();
        List<String> unsubscribe = new ArrayList<>();
        for (String name : names) {
            rooms.compute(name, (k, s) -> {
                if (s == null) {
                    return null;
                }
                if (!s.wanted) {
                    if (s.subscribeSent) {
                        unsubscribe.add(RedisHistory.channel(k));
                    }
                    return null;
                }
                if (!s.subscribeSent && connected) {
                    s.subscribeSent = true;
                    subscribe.add(RedisHistory.channel(k));
                }
                return s;
            });
        }
        if (!connected) {
            return; // resubscribeAll runs when the pub/sub connection opens
        }
        if (!unsubscribe.isEmpty()) {
            sendQuietly(() -> p.async().unsubscribe(unsubscribe.toArray(String[]::new)), "unsubscribe");
        }
        if (!subscribe.isEmpty()) {
            try {
                p.async().subscribe(subscribe.toArray(String[]::new)).whenComplete((ok, failure) -> {
                    if (failure != null) {
                        redis.errors().failed(LOG, "redis:", "SUBSCRIBE to " + subscribe.size() + " rooms", failure);
                        retrySubscribe(subscribe);
                    }
                });
            } catch (RuntimeException e) {
                retrySubscribe(subscribe);
            }
        }
    }

    private static void sendQuietly(Runnable send, String what) {
        try {
            send.run();
        } catch (RuntimeException e) {
            LOG.debug("redis: {} not sent: {}", what, e.toString());
        }
    }

    private void retrySubscribe(List<String> channels) {
        for (String channel : channels) {
            String room = RedisHistory.roomOf(channel);
            RoomState s = rooms.get(room);
            if (s != null) {
                s.subscribeSent = false;
                changed.add(room);
            }
        }
        scheduleFlush(RETRY_MS);
    }

    /** After the pub/sub connection opened (again): every wanted room is subscribed again, then caught up. */
    private void resubscribeAll() {
        for (RoomState s : rooms.values()) {
            s.subscribeSent = false;
            changed.add(s.room);
        }
        scheduleFlush(0);
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
        rooms.values().forEach(s -> s.ready.complete(null));
    }

    /** What Redis Pub/Sub tells this node. */
    private final class Listener extends RedisPubSubAdapter<String, String> {
        @Override
        public void message(String channel, String payload) {
            received.increment();
            if (closed || payload.length() < 2) {
                return;
            }
            String room = RedisHistory.roomOf(channel);
            RoomState state = rooms.get(room);
            if (state == null) {
                return; // unsubscribed meanwhile
            }
            try {
                if (payload.charAt(0) == 'c') {
                    int a = payload.indexOf(' ', 2);
                    int b = payload.indexOf(' ', a + 1);
                    long seq = Long.parseLong(payload.substring(2, a));
                    state.onLive(seq, payload.substring(a + 1, b), RedisHistory.decode(room, seq, payload.substring(b + 1)));
                } else if (payload.charAt(0) == 'e') {
                    onEvent(room, payload.substring(2));
                }
            } catch (RuntimeException e) {
                LOG.warn("[{}] unreadable pub/sub message skipped: {}", room, e.toString());
            }
        }

        @Override
        public void subscribed(String channel, long count) {
            RoomState state = rooms.get(RedisHistory.roomOf(channel));
            if (state != null) {
                state.onSubscribed();
            }
        }
    }

    /** One subscribed room's delivery state. Fields below {@code wanted} are guarded by the instance. */
    private final class RoomState {
        final String room;
        final CompletableFuture<Void> ready = new CompletableFuture<>();
        /** Whether this node has members of the room (set in {@link #membersChanged}). */
        volatile boolean wanted;
        /** Whether a SUBSCRIBE was sent on the current pub/sub connection (flush thread). */
        volatile boolean subscribeSent;
        /** The last seq delivered; -1 until the subscription is active and the stream's position read. */
        long last = -1;
        String epoch;
        /** Messages past a gap (or before the start position is known), by seq. */
        final TreeMap<Long, ServerMessage.Chat> pending = new TreeMap<>();
        String pendingEpoch;
        boolean initializing;
        boolean repairing;
        boolean repairAgain;

        RoomState(String room) {
            this.room = room;
        }

        synchronized void onSubscribed() {
            if (last >= 0) {
                repair(); // subscribed again after a reconnect: catch up from the stream
            } else if (!initializing) {
                initializing = true;
                history.recent(room, 0).whenComplete(this::initialized);
            }
        }

        private synchronized void initialized(Page page, Throwable failure) {
            initializing = false;
            if (failure != null) {
                // DEBUG: Redis being down is logged by RedisConnections, and Redis refusing the read (at ERROR) too
                LOG.debug("[{}] reading the stream position failed: {}; retrying", room, failure.toString());
                redis.schedule(this::retryInit, RETRY_MS);
                return;
            }
            last = page.lastSeq();
            epoch = page.epoch();
            if (pendingEpoch != null && !pendingEpoch.equals(epoch)) {
                pending.clear();
            }
            drain();
            if (!pending.isEmpty()) {
                repair();
            }
            ready.complete(null);
        }

        private synchronized void retryInit() {
            if (last < 0 && !initializing && wanted && rooms.get(room) == this) {
                initializing = true;
                history.recent(room, 0).whenComplete(this::initialized);
            }
        }

        synchronized void onLive(long seq, String messageEpoch, ServerMessage.Chat chat) {
            if (last < 0) {
                pendingEpoch = messageEpoch;
                hold(seq, chat);
                return;
            }
            if (!messageEpoch.equals(epoch)) {
                LOG.warn("[{}] the room's history was reset in Redis (epoch {} -> {}); starting over at seq 1", room,
                        epoch, messageEpoch);
                epoch = messageEpoch;
                last = 0;
                pending.clear();
            }
            if (seq <= last) {
                return; // delivered already (from a repair)
            }
            hold(seq, chat);
            drain();
            if (!pending.isEmpty()) {
                repair();
            }
        }

        private void hold(long seq, ServerMessage.Chat chat) {
            pending.put(seq, chat);
            if (pending.size() > MAX_PENDING) {
                pending.pollLastEntry(); // still in the stream: the repair reads it again
            }
        }

        /** Delivers the held messages that continue the room's order. */
        private void drain() {
            while (!pending.isEmpty() && pending.firstKey() <= last) {
                pending.pollFirstEntry();
            }
            while (!pending.isEmpty() && pending.firstKey() == last + 1) {
                ServerMessage.Chat chat = pending.pollFirstEntry().getValue();
                last = chat.seq();
                deliver(chat);
            }
        }

        private void deliver(ServerMessage.Chat chat) {
            local.deliver(new RoomEvent(room, chat, chat.from().id(), RoomEvent.Exclusion.SENDER_IF_TUTORIAL));
        }

        /** Reads what follows the last delivered seq from the stream; one read at a time per room. */
        private void repair() {
            if (repairing) {
                repairAgain = true;
                return;
            }
            repairing = true;
            repairAgain = false;
            long from = last;
            history.after(room, from, REPAIR_BATCH).whenComplete((page, failure) -> repaired(from, page, failure));
        }

        private synchronized void repaired(long from, Page page, Throwable failure) {
            repairing = false;
            if (failure != null) {
                // DEBUG: Redis being down, or refusing the read, is logged by RedisConnections
                LOG.debug("[{}] repair read after seq {} failed: {}; retrying", room, from, failure.toString());
                redis.schedule(this::retryRepair, RETRY_MS);
                return;
            }
            if (closed || rooms.get(room) != this) {
                return;
            }
            if (!page.epoch().equals(epoch)) {
                LOG.warn("[{}] the room's history was reset in Redis (epoch {} -> {}); starting over at seq 1", room,
                        epoch, page.epoch());
                epoch = page.epoch();
                last = 0;
                pending.clear();
                repair();
                return;
            }
            int filled = 0;
            for (ServerMessage.Chat chat : page.messages()) {
                if (chat.seq() > last && pending.put(chat.seq(), chat) == null) {
                    filled++;
                }
            }
            List<ServerMessage.Chat> read = page.messages();
            long firstKept = read.isEmpty() ? (pending.isEmpty() ? last + 1 : pending.firstKey()) : read.get(0).seq();
            if (firstKept > last + 1 && (read.isEmpty() || read.get(0).seq() == firstKept)) {
                LOG.warn("[{}] seqs {}..{} are no longer in the stream (retention); skipping them", room, last + 1,
                        firstKept - 1);
                last = firstKept - 1;
            }
            drain();
            if (filled > 0) {
                gapsRepaired.increment();
                repairFetched.increment(filled);
            }
            if (page.hasMore() || repairAgain) {
                repair();
            }
        }

        private synchronized void retryRepair() {
            if (!closed && rooms.get(room) == this && (!pending.isEmpty() || repairAgain) && !repairing) {
                repair();
            }
        }
    }
}
