package dev.wschat.server.redis;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.presence.LocalPresence;
import dev.wschat.server.presence.Presence;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Presence shared by every node through Redis, after Centrifugo's Redis presence: per room a hash of members
 * ({@code {room}:presence}, member key → node, id, name) and a sorted set of their expiry times
 * ({@code {room}:presence:exp}); each node pushes its own members' expiry every {@link PresenceTimings#refresh()}
 * and heartbeats {@code wschat:node:<id>}, and every node with members in a room sweeps the room's expired members
 * in one atomic script, so a node that stops is gone, with its users, from every room within
 * {@code ttl + sweep}.
 *
 * <p>{@link #page} never touches Redis: it reads a local view of each room this node has members in, sorted and
 * paged exactly as {@link LocalPresence} does (same cursors). This node's own members are in the view at once; the
 * other nodes' arrive as events on the room's presence channel ({@code {room}:presence:ch}, published by the
 * script that changed the hash), numbered by a per-room version: a version out of sequence, a version that
 * disagrees with Redis's for two sweeps, a (re)subscription and a Redis reconnect each reload the room's view from
 * the hash. While Redis is down the view keeps serving what it last knew plus this node's own changes; refreshes
 * re-register this node's members when Redis is back, and removals that failed are sent again (unless the member
 * came back meanwhile: its put follows the failed removal, and a removal sent again would undo it).
 *
 * <p>Everything goes through the node's {@link RedisConnections}: its command connection (scripts by
 * {@code EVALSHA}, preloaded), its pub/sub connection and its thread, which runs the ticks. A command Redis refuses
 * (a script's error, a key of the wrong type) is not Redis being down: it is logged with Redis's answer and the
 * script's name ({@link RedisErrors}), and the room's view carries on as while Redis is down; any failed command, and
 * each (re)opened connection, makes the next tick refresh this node's members and reload the views.
 *
 * <p>Notices: the broker carries join, leave and rename notices between nodes, so presence announces nothing for
 * them (a leave on node A reaches node B once, through the broker). Only a member that vanished with its node has
 * nobody to announce it: the node whose sweep removed it (exactly one, the script is atomic) tells its
 * {@link Presence.Departures} listener, which publishes the leave through the broker to every node once.
 *
 * <p>Hand-overs: a member whose session another node resumed is removed with a record of its resume key, kept for
 * the TTL ({@code {room}:presence:handover}, in the same script, so no node sees the member gone before the record is
 * there); the resuming node's {@link #listed} takes it when the session re-joins the room, which is then no join.
 *
 * <p>Bounds: a view holds the room's members, no more; Redis commands are sent only while connected (Lettuce's
 * queue is bounded by the client's options), a tick is skipped while the last one is still waiting, removals
 * waiting for Redis are capped at {@link #MAX_PENDING_REMOVALS}.
 */
public final class RedisPresence implements Presence, AutoCloseable {
    /** Members per refresh script (one room's members are pushed in batches of this many). */
    static final int REFRESH_BATCH = 500;
    /** Expired members one sweep removes from a room; the rest go on the next sweep. */
    static final int SWEEP_BATCH = 1_000;
    /** Removals kept while Redis cannot take them; beyond this the members simply expire. */
    static final int MAX_PENDING_REMOVALS = 100_000;
    private static final Logger LOG = LogManager.getLogger(RedisPresence.class);
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final LocalPresence EMPTY = new LocalPresence();
    /**
     * How long {@link #listed} waits for a room's members to be loaded from Redis (a subscription and a snapshot,
     * milliseconds when Redis answers) before it answers {@code false}.
     */
    private static final Duration LISTED_WAIT = Duration.ofSeconds(2);

    private final RedisConnections redis;
    private final String nodeId;
    private final String prefix;
    private final PresenceTimings timings;
    /**
     * The rooms this node has members in. A room's entry is also the lock that orders a member's add against a
     * removal of its earlier stay sent again ({@link #pend}, {@link #retryRemovals}): a {@link PresenceRoom} goes with
     * its last member, the entry's lock covers the room's absence too.
     */
    private final Map<String, PresenceRoom> rooms = new ConcurrentHashMap<>();
    /** Member keys of rooms whose removal Redis has not taken yet, by room; changed under the room's entry. */
    private final Map<String, Set<String>> pendingRemovals = new ConcurrentHashMap<>();
    private final AtomicInteger pendingCount = new AtomicInteger();
    /** Rooms whose presence channel this node asked to subscribe; touched only on the connections' thread. */
    private final Set<String> subscribed = new HashSet<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile Departures departures = (room, user) -> { };
    private volatile CompletableFuture<?> lastWrite = CompletableFuture.completedFuture(null);
    private volatile ScheduledFuture<?> ticks;
    private volatile boolean reloadAll;
    private volatile boolean closed;
    private long lastRefresh;

    /**
     * Creates this node's presence on its connections; {@link #start()} starts the refresh and sweep.
     *
     * @param redis   the node's connections (they bound the request queue and refuse commands while disconnected)
     * @param nodeId  this node's id, unique among the nodes sharing the Redis and new on every start (a random
     *                UUID): a node never sweeps or announces members under its own id, so a restarted node that
     *                reused its id would leave its former members listed until they expire, unannounced
     *                ({@code [A-Za-z0-9._-]{1,64}})
     * @param timings refresh, TTL and sweep intervals
     */
    public RedisPresence(RedisConnections redis, String nodeId, PresenceTimings timings) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        this.timings = Objects.requireNonNull(timings, "timings");
        if (!NODE_ID.matcher(nodeId).matches()) {
            throw new IllegalArgumentException("node id must match " + NODE_ID + ": " + nodeId);
        }
        this.prefix = nodeId + ":";
        redis.preload(PresenceScripts.all());
        redis.pubSub(new Events(), this::connected);
        redis.onConnected(this::connected);
    }

    /** Starts the ticks: refresh, sweep and subscriptions, every {@link PresenceTimings#sweep()}. */
    public void start() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        ticks = redis.every(this::tick, timings.sweep());
    }

    /** This node's id. */
    public String nodeId() {
        return nodeId;
    }

    @Override
    public void onDeparture(Departures listener) {
        this.departures = Objects.requireNonNull(listener, "listener");
    }

    @Override
    public void add(String room, String memberKey, ServerMessage.User user) {
        Objects.requireNonNull(room, "room");
        Objects.requireNonNull(memberKey, "memberKey");
        Objects.requireNonNull(user, "user");
        String key = prefix + memberKey;
        boolean[] added = new boolean[2];
        rooms.compute(room, (name, existing) -> {
            PresenceRoom r = existing != null ? existing : new PresenceRoom();
            if (r.local.putIfAbsent(memberKey, user) == null) {
                r.view.add(PresenceRoom.VIEW, key, user);
                added[0] = true;
                added[1] = existing == null;
                // back before its earlier stay's removal was sent again: sent now, it would undo the put below
                Set<String> pending = pendingRemovals.get(room);
                if (pending != null && pending.remove(key)) {
                    pendingCount.decrementAndGet();
                }
            }
            return r;
        });
        if (added[0]) {
            put(room, List.of(key, encode(user)));
        }
        if (added[1]) {
            execute(() -> reconcile(room));
        }
    }

    @Override
    public void remove(String room, String memberKey) {
        remove(room, memberKey, null);
    }

    @Override
    public void handOver(String room, String memberKey, String resumeKey) {
        remove(room, memberKey, Objects.requireNonNull(resumeKey, "resumeKey"));
    }

    /** Removes a member, recording its session's hand-over when {@code resumeKey} is not {@code null}. */
    private void remove(String room, String memberKey, String resumeKey) {
        PresenceRoom r = rooms.get(room);
        if (r == null) {
            return;
        }
        String key = prefix + memberKey;
        synchronized (r.writes) {
            // under the lock a refresh batch is built and sent in: a member it sends was here, so this DELETE
            // follows its PUT on the connection and no refresh puts the member back after it left
            if (r.local.remove(memberKey) != null) {
                r.view.remove(PresenceRoom.VIEW, key);
                delete(room, key, resumeKey);
            }
        }
        boolean[] emptied = new boolean[1];
        rooms.computeIfPresent(room, (name, existing) -> {
            emptied[0] = existing.local.isEmpty();
            return emptied[0] ? null : existing;
        });
        if (emptied[0]) {
            execute(() -> reconcile(room));
        }
    }

    @Override
    public void rename(String room, String memberKey, ServerMessage.User user) {
        Objects.requireNonNull(user, "user");
        PresenceRoom r = rooms.get(room);
        if (r == null) {
            return;
        }
        synchronized (r.writes) { // a refresh sending the old name after this PUT would rename the member back
            if (r.local.replace(memberKey, user) != null) {
                String key = prefix + memberKey;
                r.view.rename(PresenceRoom.VIEW, key, user);
                put(room, List.of(key, encode(user)));
            }
        }
    }

    @Override
    public Page page(String room, String cursor, int limit) {
        PresenceRoom r = rooms.get(room);
        return (r == null ? EMPTY : r.view).page(PresenceRoom.VIEW, cursor, limit);
    }

    @Override
    public boolean includes(String room, String userId) {
        PresenceRoom r = rooms.get(room);
        return r != null && r.view.includes(PresenceRoom.VIEW, userId);
    }

    /**
     * Answers from the room's view once it has been loaded from Redis (at once when it was), else from the room's
     * hand-overs, which it takes; {@code false} after {@link #LISTED_WAIT} or when Redis fails. Completes on the
     * calling thread when the view answers, else on a Redis or timer thread.
     */
    @Override
    public CompletionStage<Boolean> listed(String room, String userId, String memberKey, String resumeKey) {
        Objects.requireNonNull(userId, "userId");
        PresenceRoom r = rooms.get(room);
        if (r == null) {
            return CompletableFuture.completedFuture(false); // the connection left again: nothing to tell
        }
        String own = prefix + memberKey;
        return r.loaded.thenCompose(loaded -> {
            if (r.view.includesOther(PresenceRoom.VIEW, userId, own)) {
                return CompletableFuture.completedFuture(true);
            }
            if (resumeKey == null) {
                return CompletableFuture.completedFuture(false);
            }
            return eval(PresenceScripts.HANDED_OVER, room, resumeKey)
                    .thenApply(taken -> ((Number) taken.get(0)).longValue() == 1);
        }).completeOnTimeout(false, LISTED_WAIT.toMillis(), TimeUnit.MILLISECONDS).exceptionally(failure -> false);
    }

    // ---- writes

    private void put(String room, List<String> pairs) {
        String[] args = new String[2 + pairs.size()];
        args[0] = RedisKeys.presenceChannel(room);
        args[1] = Long.toString(timings.ttl().toMillis());
        for (int i = 0; i < pairs.size(); i++) {
            args[2 + i] = pairs.get(i);
        }
        lastWrite = eval(PresenceScripts.PUT, room, args);
    }

    /** Removes a member from Redis, with its session's hand-over unless {@code resumeKey} is {@code null}. */
    private void delete(String room, String key, String resumeKey) {
        CompletableFuture<List<Object>> done = resumeKey == null
                ? eval(PresenceScripts.DELETE, room, RedisKeys.presenceChannel(room), key)
                : eval(PresenceScripts.HAND_OVER, room, RedisKeys.presenceChannel(room), key, resumeKey,
                        Long.toString(timings.ttl().toMillis()));
        lastWrite = done;
        done.whenComplete((reply, failure) -> {
            if (failure != null) {
                // on the timer: this may run at once, inside retryRemovals' step on the room's entry
                execute(() -> pend(room, key));
            }
        });
    }

    /**
     * Keeps a removal Redis did not take, to send again, unless its member is back: the member's put was sent after
     * the removal, so Redis has the member or the next refresh puts it.
     */
    private void pend(String room, String key) {
        String memberKey = key.substring(prefix.length());
        rooms.compute(room, (name, r) -> {
            if ((r == null || !r.local.containsKey(memberKey)) && pendingCount.get() < MAX_PENDING_REMOVALS
                    && pendingRemovals.computeIfAbsent(room, k -> ConcurrentHashMap.newKeySet()).add(key)) {
                pendingCount.incrementAndGet();
            }
            return r;
        });
    }

    /**
     * Runs one of the room's scripts: its reply (an integer reply is a list of one {@code Long}), or its failure,
     * after which the next tick refreshes and reloads (a refusal is logged by {@link RedisConnections#eval}).
     */
    private CompletableFuture<List<Object>> eval(RedisConnections.Script script, String room, String... args) {
        CompletableFuture<List<Object>> reply = new CompletableFuture<>();
        redis.eval(script, RedisKeys.presence(room), args, (result, failure) -> {
            if (failure != null) {
                reloadAll = true;
                reply.completeExceptionally(failure);
            } else {
                reply.complete(result);
            }
        });
        return reply;
    }

    /** A connection (re)opened: the next tick refreshes and reloads; rooms not subscribed yet are. */
    private void connected() {
        reloadAll = true;
        rooms.keySet().forEach(this::reconcile);
    }

    // ---- the periodic work, on the connections' thread

    private void tick() {
        if (closed) {
            return;
        }
        StatefulRedisConnection<String, String> c = redis.commands();
        if (c == null || !c.isOpen()) {
            return;
        }
        for (String room : rooms.keySet()) {
            if (!subscribed.contains(room)) {
                reconcile(room);
            }
        }
        for (String room : List.copyOf(subscribed)) {
            if (!rooms.containsKey(room)) {
                reconcile(room);
            }
        }
        if (inFlight.get() > 0) {
            return; // the last tick is still waiting for Redis: sending more would only queue
        }
        boolean reload = reloadAll;
        reloadAll = false;
        long now = System.nanoTime();
        if (reload || now - lastRefresh >= timings.refresh().toNanos()) {
            lastRefresh = now;
            refresh(c);
        }
        retryRemovals();
        for (Map.Entry<String, PresenceRoom> e : rooms.entrySet()) {
            sweep(e.getKey(), e.getValue());
            if (reload) {
                reload(e.getKey());
            }
        }
    }

    private void refresh(StatefulRedisConnection<String, String> c) {
        try {
            track(c.async().set(RedisKeys.node(nodeId), Long.toString(System.currentTimeMillis()),
                    SetArgs.Builder.px(timings.ttl().toMillis())).toCompletableFuture());
        } catch (RuntimeException e) {
            reloadAll = true; // not connected: tried again on the next tick
            return;
        }
        for (Map.Entry<String, PresenceRoom> e : rooms.entrySet()) {
            PresenceRoom r = e.getValue();
            Iterator<String> members = r.local.keySet().iterator();
            while (members.hasNext()) {
                // built and sent under the room's write lock: a member that leaves meanwhile is either not in
                // the batch or removed (DELETE) after it on the connection, never put back by it
                synchronized (r.writes) {
                    List<String> pairs = new ArrayList<>();
                    while (members.hasNext() && pairs.size() < 2 * REFRESH_BATCH) {
                        String memberKey = members.next();
                        ServerMessage.User user = r.local.get(memberKey); // the iterator may lag behind a leave
                        if (user != null) {
                            pairs.add(prefix + memberKey);
                            pairs.add(encode(user));
                        }
                    }
                    if (!pairs.isEmpty()) {
                        track(refreshBatch(e.getKey(), pairs));
                    }
                }
            }
        }
    }

    private CompletableFuture<List<Object>> refreshBatch(String room, List<String> pairs) {
        String[] args = new String[2 + pairs.size()];
        args[0] = RedisKeys.presenceChannel(room);
        args[1] = Long.toString(timings.ttl().toMillis());
        for (int i = 0; i < pairs.size(); i++) {
            args[2 + i] = pairs.get(i);
        }
        return eval(PresenceScripts.PUT, room, args);
    }

    private void retryRemovals() {
        for (String room : List.copyOf(pendingRemovals.keySet())) {
            // in one step on the room's entry, as add: a member added again is either back before it (its removal
            // is dropped) or added after it (its put follows the removal on the connection)
            rooms.compute(room, (name, r) -> {
                Set<String> keys = pendingRemovals.remove(room);
                if (keys != null) {
                    for (String key : keys) {
                        pendingCount.decrementAndGet();
                        if (r == null || !r.local.containsKey(key.substring(prefix.length()))) {
                            // a failed hand-over too is sent again as a plain removal: its re-join had its answer
                            delete(room, key, null);
                        }
                    }
                }
                return r;
            });
        }
    }

    private void sweep(String room, PresenceRoom r) {
        track(eval(PresenceScripts.SWEEP, room, RedisKeys.presenceChannel(room),
                Integer.toString(SWEEP_BATCH)).thenAccept(parts -> {
            long version = ((Number) parts.get(0)).longValue();
            List<?> removed = (List<?>) parts.get(1);
            List<ServerMessage.User> gone = new ArrayList<>();
            synchronized (r) {
                for (int i = 0; i + 1 < removed.size(); i += 2) {
                    String key = (String) removed.get(i);
                    if (!key.startsWith(prefix)) {
                        // at once, not only when the event comes back: a leave notice must not precede it
                        r.removeRemote(key);
                        gone.add(decode((String) removed.get(i + 1)));
                    }
                    // this node's own (it was cut off from Redis too long): still here, the refresh re-adds them
                }
                if (version != r.version) {
                    if (r.disagreed == version) {
                        execute(() -> reload(room));
                    }
                    r.disagreed = version;
                } else {
                    r.disagreed = -1;
                }
            }
            if (!gone.isEmpty()) {
                execute(() -> gone.forEach(user -> departures.departed(room, user)));
            }
        }));
    }

    private void reload(String room) {
        PresenceRoom r = rooms.get(room);
        if (r == null) {
            return;
        }
        synchronized (r) {
            r.reloads++;
        }
        eval(PresenceScripts.SNAPSHOT, room).whenComplete((parts, failure) -> {
            if (failure != null) {
                synchronized (r) {
                    if (--r.reloads == 0) {
                        r.heardDuringReload.clear();
                    }
                }
            }
        }).thenAccept(parts -> {
            long version = ((Number) parts.get(0)).longValue();
            List<?> all = (List<?>) parts.get(1);
            Map<String, ServerMessage.User> members = new HashMap<>();
            for (int i = 0; i + 1 < all.size(); i += 2) {
                String key = (String) all.get(i);
                if (!key.startsWith(prefix)) {
                    members.put(key, decode((String) all.get(i + 1)));
                }
            }
            synchronized (r) {
                r.installSnapshot(members, version);
                r.disagreed = -1;
            }
            r.loaded.complete(null);
        });
    }

    private void track(CompletableFuture<?> command) {
        inFlight.incrementAndGet();
        command.whenComplete((reply, failure) -> inFlight.decrementAndGet());
    }

    /** Subscribes to a room's presence channel while this node has members in it, else unsubscribes. */
    private void reconcile(String room) {
        StatefulRedisPubSubConnection<String, String> p = redis.pubsub();
        if (p == null || closed) {
            return; // subscribed on connect
        }
        boolean wanted = rooms.containsKey(room);
        String channel = RedisKeys.presenceChannel(room);
        try {
            if (wanted && subscribed.add(room)) {
                p.async().subscribe(channel).toCompletableFuture().whenComplete((ok, failure) -> {
                    if (failure != null) {
                        redis.errors().failed(LOG, "[" + room + "] presence:", "SUBSCRIBE", failure);
                        execute(() -> subscribed.remove(room)); // tried again on the next tick
                    } else {
                        execute(() -> reload(room));
                    }
                });
            } else if (wanted) {
                PresenceRoom r = rooms.get(room);
                if (r != null && !r.loaded.isDone()) {
                    // emptied and joined again before its unsubscription ran: still subscribed, but this view is new
                    reload(room);
                }
            } else if (subscribed.remove(room)) {
                p.async().unsubscribe(channel);
            }
        } catch (RuntimeException e) {
            subscribed.remove(room);
            reloadAll = true; // not connected: tried again on the next tick
        }
    }

    private void execute(Runnable task) {
        if (!closed) {
            redis.execute(task);
        }
    }

    // ---- events from other nodes

    /** Applies a room's presence events, in the order Redis published them. */
    private final class Events extends RedisPubSubAdapter<String, String> {
        @Override
        public void message(String channel, String message) {
            String room = RedisKeys.roomOfPresence(channel);
            PresenceRoom r = room == null || closed ? null : rooms.get(room);
            if (r == null) {
                return;
            }
            String[] parts = message.split("\n", 4);
            if (parts.length != 4) {
                LOG.warn("[{}] presence: event not understood: {}", room, message);
                return;
            }
            long version = Long.parseLong(parts[0]);
            boolean gap;
            synchronized (r) {
                if (version <= r.version) {
                    return; // in the view already (read with a snapshot)
                }
                gap = version != r.version + 1;
                r.version = version;
                String key = parts[2];
                if (!key.startsWith(prefix)) {
                    PresenceRoom.Event event = new PresenceRoom.Event(version, key,
                            "P".equals(parts[1]) ? decode(parts[3]) : null);
                    event.applyTo(r);
                    if (r.reloads > 0) {
                        r.heardDuringReload.add(event);
                    }
                }
            }
            if (gap) {
                execute(() -> reload(room));
            }
        }
    }

    // ---- encoding

    private String encode(ServerMessage.User user) {
        JsonArray a = new JsonArray(3);
        a.add(nodeId);
        a.add(user.id());
        a.add(user.username());
        return a.toString();
    }

    private static ServerMessage.User decode(String value) {
        JsonArray a = JsonParser.parseString(value).getAsJsonArray();
        return new ServerMessage.User(a.get(1).getAsString(), a.get(2).getAsString());
    }

    /**
     * Stops refreshing and sweeping, after the last write was answered (at most 2 s); the connections are their
     * owner's to close. It removes nothing: members still listed expire, as a stopped node's do.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            lastWrite.get(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.debug("presence: last write not answered before close", e);
        }
        closed = true;
        ScheduledFuture<?> t = ticks;
        if (t != null) {
            t.cancel(false);
        }
    }
}
