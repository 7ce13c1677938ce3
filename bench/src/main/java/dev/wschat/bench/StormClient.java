package dev.wschat.bench;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.wschat.protocol.ClientMessage;
import dev.wschat.protocol.Limits;
import io.netty.channel.ConnectTimeoutException;

import java.net.ConnectException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One client of the {@code storm} scenario, in several rooms, behaving like the browser client: after a drop it
 * reconnects with the browser's backoff (honouring {@code Retry-After}), presents its resume token when its welcome
 * had one, catches every room up from the last {@code seq} it saw ({@code join {since, epoch}}), and, when it is a
 * sender, resends every message not yet acknowledged (same {@code clientMsgId}: the server's dedup makes that
 * safe). It keeps, per room, the room seqs of this run's messages it saw, so the scenario can count what it lost
 * or got twice against the acknowledged messages. Its successive connections live on different event loops, one
 * after the other: every method is synchronized.
 */
final class StormClient implements Conn.Events, Conn.TextSink {
    /** How a reconnect attempt failed. */
    enum Failure {
        /** The TCP connect was refused: nothing listens (a restarting server). */
        REFUSED,
        /** The handshake was answered with 503 (admission control, connection limits). */
        UNAVAILABLE,
        /** No TCP connection, handshake answer or catch-up within the attempt timeout. */
        TIMEOUT,
        /** Anything else: another status, a reset, a close before every room was caught up. */
        OTHER
    }

    /** What this client knows of one of its rooms. */
    private static final class RoomState {
        final String name;
        /** The first seq of this run's messages here: one past the first history's last; -1 before it came. */
        long base = -1;
        /** The highest seq seen, of any message: the {@code since} of the next catch-up. */
        long lastSeq;
        String epoch;
        /** This run's messages seen, by {@code seq - base}. */
        final BitSet seen = new BitSet();
        long duplicates;
        /** The ref of the join (or resume) whose history is awaited, or {@code null}. */
        String awaiting;

        RoomState(String name) {
            this.name = name;
        }
    }

    /** A message of this sender not yet acknowledged. */
    private record Pending(String room, String content, long sentNanos) {
    }

    private final Storm storm;
    private final Clients clients;
    final int index;
    private final int node;
    /** This client's sender slot, or -1 when it only receives. */
    final int senderSlot;
    private final RoomState[] rooms;
    private final Map<String, RoomState> byName = new java.util.HashMap<>();
    private Conn conn;
    private boolean firstReady;
    private boolean stopped;
    /** Caught up on the current connection: every room's history came back. */
    private boolean up;
    private int awaitingRooms;
    private boolean leftLobby;
    private String token;
    private int refs;
    private int attempt;
    private long openedNanos;
    private long retryAfterMs = -1;
    /** When this client was back after the storm (every room caught up), {@link System#nanoTime()}; 0 before. */
    private long backNanos;
    private boolean dropped;
    private long attempts;
    private long resumedSessions;
    private long recoveredFalse;
    private Conn timedOut;
    // the sender's side
    private final TreeMap<Integer, Pending> unacked = new TreeMap<>();
    private final Map<Integer, Long> ackedSeq = new java.util.HashMap<>();
    private int nextMsg;
    private long sent;
    private long resent;

    StormClient(Storm storm, int index, List<String> roomNames, int node, int senderSlot) {
        this.storm = storm;
        this.clients = storm.clients();
        this.index = index;
        this.node = node;
        this.senderSlot = senderSlot;
        this.rooms = new RoomState[roomNames.size()];
        for (int i = 0; i < rooms.length; i++) {
            rooms[i] = new RoomState(roomNames.get(i));
            byName.put(rooms[i].name, rooms[i]);
        }
    }

    /** The first connection, for the population to open. */
    synchronized Conn first() {
        conn = newConn();
        return conn;
    }

    private Conn newConn() {
        Conn c = new Conn(clients, this, Limits.DEFAULT_ROOM, 0);
        c.node = node;
        c.resumeToken = token;
        c.resumer = this;
        return c;
    }

    @Override
    public synchronized void text(Conn c, String json) {
        if (c != conn) {
            return;
        }
        JsonObject o;
        try {
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) {
                return;
            }
            o = e.getAsJsonObject();
        } catch (RuntimeException e) {
            return;
        }
        String type = str(o, "type");
        if (type == null) {
            return;
        }
        switch (type) {
            case "system" -> {
                if ("welcome".equals(str(o, "event"))) {
                    welcome(o);
                }
            }
            case "presence" -> {
                if (Limits.DEFAULT_ROOM.equals(str(o, "room")) && !byName.containsKey(Limits.DEFAULT_ROOM)
                        && !leftLobby) {
                    leftLobby = true;
                    conn.send(new ClientMessage.Leave(Limits.DEFAULT_ROOM, null));
                }
            }
            case "history" -> history(o);
            case "chat" -> {
                RoomState r = byName.get(str(o, "room"));
                if (r != null && o.has("seq")) {
                    record(r, o.get("seq").getAsLong(), str(o, "message"));
                }
            }
            case "ack" -> ack(o);
            default -> {
                // notices, errors (a refused chat is resent by the timer): nothing to count
            }
        }
    }

    private void welcome(JsonObject o) {
        String t = str(o, "resumeToken");
        if (t != null) {
            token = t;
        }
        if (o.has("resumed") && o.get("resumed").isJsonPrimitive() && o.get("resumed").getAsBoolean()) {
            resumedSessions++;
        }
        leftLobby = false;
        catchUp();
    }

    /**
     * Asks for every room's history: one {@code join} per room, with {@code since} and {@code epoch} once the
     * room's history came before.
     * <p>
     * HOOK(one-message resume): a session resumed by token keeps its rooms on the server, which then catches
     * them all up in one exchange ({@code {"type":"resume","rooms":[{"room":..,"since":..,"epoch":..}]}},
     * answered by one {@code history} per room). Once that is on main, {@code --catch-up resume} sends it
     * ({@link #resumeMessage}); its answers are matched by room, as the joins' are by ref.
     */
    private void catchUp() {
        String ref = "c" + index + "-" + (++refs);
        awaitingRooms = rooms.length;
        if (storm.oneMessageResume() && firstReady) {
            conn.sendRaw(resumeMessage(ref));
            for (RoomState r : rooms) {
                r.awaiting = ref;
            }
            return;
        }
        for (int i = 0; i < rooms.length; i++) {
            RoomState r = rooms[i];
            r.awaiting = ref + "-" + i;
            Long since = r.base >= 0 ? r.lastSeq : null;
            conn.send(new ClientMessage.Join(r.name, since, since != null ? r.epoch : null, r.awaiting));
        }
    }

    private String resumeMessage(String ref) {
        JsonObject m = new JsonObject();
        m.addProperty("type", "resume");
        m.addProperty("ref", ref);
        com.google.gson.JsonArray list = new com.google.gson.JsonArray();
        for (RoomState r : rooms) {
            JsonObject e = new JsonObject();
            e.addProperty("room", r.name);
            e.addProperty("since", r.lastSeq);
            if (r.epoch != null) {
                e.addProperty("epoch", r.epoch);
            }
            list.add(e);
        }
        m.add("rooms", list);
        return m.toString();
    }

    private void history(JsonObject o) {
        RoomState r = byName.get(str(o, "room"));
        if (r == null || r.awaiting == null) {
            return;
        }
        String ref = str(o, "ref");
        boolean oneMessage = storm.oneMessageResume() && firstReady;
        if (!(r.awaiting.equals(ref) || (oneMessage && (ref == null || r.awaiting.equals(ref))))) {
            return;
        }
        r.awaiting = null;
        String e = str(o, "epoch");
        if (e != null) {
            r.epoch = e;
        }
        boolean first = r.base < 0;
        long before = r.lastSeq;
        if (o.has("messages") && o.get("messages").isJsonArray()) {
            for (JsonElement m : o.getAsJsonArray("messages")) {
                if (m.isJsonObject() && m.getAsJsonObject().has("seq")) {
                    long seq = m.getAsJsonObject().get("seq").getAsLong();
                    if (first) {
                        r.lastSeq = Math.max(r.lastSeq, seq);
                    } else {
                        record(r, seq, str(m.getAsJsonObject(), "message"));
                    }
                }
            }
        }
        if (first) {
            // the first history holds what the room had before this run: this run's messages come after it
            r.base = r.lastSeq + 1;
        } else if (o.has("recovered") && o.get("recovered").isJsonPrimitive()
                && !o.get("recovered").getAsBoolean()) {
            recoveredFalse++;
            storm.recoveredFalse(r.name, before);
        }
        if (--awaitingRooms == 0) {
            caughtUp();
        }
    }

    private void caughtUp() {
        up = true;
        openedNanos = System.nanoTime();
        retryAfterMs = -1;
        if (!firstReady) {
            firstReady = true;
            conn.markReady();
            return;
        }
        if (dropped && backNanos == 0) {
            backNanos = System.nanoTime();
        }
        storm.back(this);
        resendUnacked(0);
    }

    /** One chat message of a room, live or from a catch-up. */
    private void record(RoomState r, long seq, String message) {
        r.lastSeq = Math.max(r.lastSeq, seq);
        if (Resumer.marker(message, clients.runId) == null || r.base < 0) {
            return;
        }
        if (seq < r.base || seq - r.base > Integer.MAX_VALUE - 1) {
            // a seq of this run below the base: the room started over (a new epoch)
            r.duplicates++;
            return;
        }
        int i = (int) (seq - r.base);
        if (r.seen.get(i)) {
            r.duplicates++;
        } else {
            r.seen.set(i);
        }
    }

    private void ack(JsonObject o) {
        String id = str(o, "clientMsgId");
        if (id == null || !o.has("seq") || !id.startsWith("s" + senderSlot + "-")) {
            return;
        }
        int n;
        try {
            n = Integer.parseInt(id.substring(id.indexOf('-') + 1));
        } catch (NumberFormatException e) {
            return;
        }
        long seq = o.get("seq").getAsLong();
        String room = str(o, "room");
        unacked.remove(n);
        Long earlier = ackedSeq.putIfAbsent(n, seq);
        if (earlier == null) {
            storm.acked(room, seq);
        } else if (earlier != seq) {
            // the server stored one message twice: every member gets it twice
            storm.storedTwice();
        }
    }

    /** One message of this sender, on its timer: sent now when caught up, else when the connection is back. */
    synchronized void tick() {
        if (stopped || senderSlot < 0) {
            return;
        }
        int n = ++nextMsg;
        RoomState r = rooms[n % rooms.length];
        String content = "storm #B" + clients.runId + ":" + senderSlot + ":" + n + ":" + clients.nowMicros() + "#";
        unacked.put(n, new Pending(r.name, content, 0));
        if (up) {
            send(n, unacked.get(n));
        }
        // a message refused (error unavailable) or sent into a connection that died unseen: resent after a while
        resendUnacked(TimeUnit.SECONDS.toNanos(5));
    }

    private void resendUnacked(long olderThanNanos) {
        if (!up || unacked.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        List<Integer> due = new ArrayList<>();
        for (Map.Entry<Integer, Pending> e : unacked.entrySet()) {
            Pending p = e.getValue();
            if (p.sentNanos() == 0 ? olderThanNanos == 0 : now - p.sentNanos() >= olderThanNanos) {
                due.add(e.getKey());
            }
        }
        for (int n : due) {
            Pending p = unacked.get(n);
            if (p.sentNanos() != 0) {
                resent++;
            }
            send(n, p);
        }
    }

    private void send(int n, Pending p) {
        Conn c = conn;
        unacked.put(n, new Pending(p.room(), p.content(), System.nanoTime()));
        if (p.sentNanos() == 0) {
            sent++;
        }
        ClientMessage.Chat chat = new ClientMessage.Chat(p.room(), p.content(), "s" + senderSlot + "-" + n, null);
        c.channel.eventLoop().execute(() -> {
            if (c.channel.isActive()) {
                c.send(chat);
            }
        });
    }

    @Override
    public synchronized void ready(Conn c) {
        storm.population().ready(c);
    }

    @Override
    public synchronized void closed(Conn c, boolean wasReady) {
        if (c != conn) {
            return;
        }
        if (!firstReady) {
            // setup failed: the run reports it as a connection that did not come up
            storm.population().closed(c, false);
            return;
        }
        if (stopped) {
            return;
        }
        if (up) {
            up = false;
            dropped = true;
            storm.down(this);
            if (openedNanos != 0 && System.nanoTime() - openedNanos >= TimeUnit.SECONDS.toNanos(10)) {
                // the browser's rule: a connection that lasted resets the backoff
                attempt = 0;
            }
        } else {
            storm.failure(cause(c));
            retryAfterMs = c.retryAfterMs;
        }
        long delay = storm.backoff().delayMs(attempt++, retryAfterMs, ThreadLocalRandom.current()::nextDouble);
        clients.schedule(this::reconnect, TimeUnit.MILLISECONDS.toNanos(delay));
    }

    private Failure cause(Conn c) {
        if (c == timedOut || c.connectCause instanceof ConnectTimeoutException) {
            return Failure.TIMEOUT;
        }
        if (c.connectCause instanceof ConnectException) {
            return Failure.REFUSED;
        }
        if ("503".equals(c.refusedStatus)) {
            return Failure.UNAVAILABLE;
        }
        return Failure.OTHER;
    }

    private synchronized void reconnect() {
        if (stopped) {
            return;
        }
        attempts++;
        storm.attempt();
        Conn c = newConn();
        conn = c;
        clients.connect(c);
        clients.schedule(() -> attemptTimedOut(c), storm.attemptTimeoutNanos());
    }

    private synchronized void attemptTimedOut(Conn c) {
        if (c != conn || up || stopped) {
            return;
        }
        timedOut = c;
        if (c.channel != null) {
            c.channel.close();
        }
    }

    /** Drops the connection as a network failure does (a TCP reset); the client reconnects by itself. */
    synchronized void blip() {
        if (conn != null && conn.channel != null) {
            Conn c = conn;
            c.channel.eventLoop().execute(c::abort);
        }
    }

    /** Stops sending; returns whether every message of this sender was acknowledged. */
    synchronized int unacked() {
        return unacked.size();
    }

    /** Stops reconnecting; returns the current connection, for the caller to close. */
    synchronized Conn stop() {
        stopped = true;
        return conn;
    }

    /** Whether this client is connected with every room caught up. */
    synchronized boolean isUp() {
        return up;
    }

    /** Nanoseconds from {@code fromNanos} until this client was back after the storm, or -1 when it is not. */
    synchronized long backAfter(long fromNanos) {
        return backNanos == 0 ? -1 : backNanos - fromNanos;
    }

    /** The acknowledged messages of this client's rooms it did not see; {@code perRoom} gets each room's. */
    synchronized long lost(Map<String, java.util.Set<Long>> acked, Map<String, long[]> perRoom) {
        long lost = 0;
        for (RoomState r : rooms) {
            java.util.Set<Long> a = acked.get(r.name);
            long l = 0;
            if (a != null) {
                for (long seq : a) {
                    if (seq >= r.base && (seq - r.base > Integer.MAX_VALUE - 1 || !r.seen.get((int) (seq - r.base)))) {
                        l++;
                    }
                }
            }
            lost += l;
            if (perRoom != null) {
                long[] x = perRoom.computeIfAbsent(r.name, k -> new long[2]);
                x[0] += l;
                x[1] += r.duplicates;
            }
        }
        return lost;
    }

    /** What this client counted. */
    record Figures(long attempts, long resumedSessions, long recoveredFalse, long duplicates, long sent, long resent) {
    }

    synchronized Figures figures() {
        long d = 0;
        for (RoomState r : rooms) {
            d += r.duplicates;
        }
        return new Figures(attempts, resumedSessions, recoveredFalse, d, sent, resent);
    }

    private static String str(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }
}
