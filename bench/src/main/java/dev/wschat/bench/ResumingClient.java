package dev.wschat.bench;

import dev.wschat.protocol.ClientMessage;
import dev.wschat.protocol.Limits;
import dev.wschat.protocol.MalformedMessageException;
import dev.wschat.protocol.ServerMessage;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The core of a client that comes back after its connection drops, as the browser client does: it reconnects with
 * {@code ?resume=TOKEN} when a welcome gave it one, leaves {@code lobby} unless it is one of its rooms, and catches
 * every room up from the last {@code seq} it saw ({@code join {since, epoch}} per room, or one {@code resume}
 * message), keeping per room the seqs of this run's messages it saw. What it counts and when it reconnects is its
 * subclass's: {@link Resumer} (the fan-out's resuming receivers) and {@link StormClient} (the storm scenario). Its
 * successive connections live on different event loops, one after the other: every method is synchronized.
 */
abstract class ResumingClient implements Conn.Events, Conn.TextSink {

    /** What this client knows of one of its rooms. */
    static final class RoomState {
        /** What seeing one of this run's seqs was. */
        enum Seen {
            /** Not seen before. */
            FIRST,
            /** Seen before: a duplicate. */
            AGAIN,
            /** Below this run's first seq (the room started over) or too far above it to count. */
            OUTSIDE
        }

        final String name;
        /** The first seq of this run's messages here: one past the first history's last; -1 before it came. */
        long base = -1;
        /** The highest seq seen, of any message: the {@code since} of the next catch-up. */
        long lastSeq;
        String epoch;
        /** This run's messages seen, by {@code seq - base}. */
        private final BitSet seen = new BitSet();
        long duplicates;
        /** The ref of the join (or resume) whose history is awaited, or {@code null}. */
        String awaiting;

        RoomState(String name) {
            this.name = name;
        }

        /** The {@code since} of a catch-up: the last seq seen once the first history came, else none. */
        Long since() {
            return base >= 0 ? lastSeq : null;
        }

        Seen see(long seq) {
            if (seq < base || seq - base > Integer.MAX_VALUE - 1) {
                return Seen.OUTSIDE;
            }
            int i = (int) (seq - base);
            if (seen.get(i)) {
                return Seen.AGAIN;
            }
            seen.set(i);
            return Seen.FIRST;
        }

        /** Whether a seq of this run's was not seen. */
        boolean missed(long seq) {
            return seq >= base && (seq - base > Integer.MAX_VALUE - 1 || !seen.get((int) (seq - base)));
        }
    }

    final Clients clients;
    private final Population pop;
    private final int node;
    /** The room the connection is opened for ({@link Conn}'s). */
    private final String connRoom;
    /** Prefix of this client's refs, unique among the clients of a run. */
    private final String refPrefix;
    final RoomState[] rooms;
    private final Map<String, RoomState> byName = new HashMap<>();
    Conn conn;
    /** Set up once: the first connection is ready (it then counts as up for its population). */
    boolean firstReady;
    boolean stopped;
    private boolean leftLobby;
    private String token;
    private int refs;
    private int awaitingRooms;
    /** The catch-up in flight was one {@code resume} message (its histories may come without a ref). */
    private boolean awaitingResume;
    long resumedSessions;
    long recoveredFalse;

    ResumingClient(Clients clients, Population pop, int node, String connRoom, String refPrefix,
                   List<String> roomNames) {
        this.clients = clients;
        this.pop = pop;
        this.node = node;
        this.connRoom = connRoom;
        this.refPrefix = refPrefix;
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
        Conn c = new Conn(clients, this, connRoom, 0);
        c.node = node;
        c.resumeToken = token;
        c.resumer = this;
        return c;
    }

    /** Opens the next connection (after a drop); returns it. */
    Conn connectAgain() {
        Conn c = newConn();
        conn = c;
        clients.connect(c);
        return c;
    }

    /** One server frame of the current connection (or a late one of an earlier, ignored). */
    @Override
    public synchronized void text(Conn c, String json) {
        if (c != conn) {
            return;
        }
        ServerMessage m;
        try {
            m = clients.codec.decodeServer(json, clients.dialect);
        } catch (MalformedMessageException e) {
            return;
        }
        if (m instanceof ServerMessage.Welcome w) {
            welcome(w);
        } else if (m instanceof ServerMessage.Presence p) {
            presence(p.room());
        } else if (m instanceof ServerMessage.History h) {
            history(h);
        } else if (m instanceof ServerMessage.Chat chat) {
            RoomState r = byName.get(chat.room());
            if (r != null) {
                chat(r, chat.seq(), chat.message());
            }
        } else if (m instanceof ServerMessage.Ack a) {
            ack(a);
        }
        // notices, tokens, errors (a refused chat is resent by its sender's timer): nothing to count
    }

    private void welcome(ServerMessage.Welcome w) {
        if (w.resumeToken() != null) {
            token = w.resumeToken();
        }
        if (Boolean.TRUE.equals(w.resumed())) {
            resumedSessions++;
        }
        leftLobby = false;
        catchUp();
    }

    /**
     * Asks for every room's history: one {@code join} per room, with {@code since} and {@code epoch} once the
     * room's history came before; or, once set up and when {@link #oneMessageResume}, one {@code resume} for every
     * room (its answers matched by room, as the joins' are by ref).
     */
    private void catchUp() {
        String ref = refPrefix + (++refs);
        awaitingRooms = rooms.length;
        awaitingResume = oneMessageResume() && firstReady;
        if (awaitingResume) {
            List<ClientMessage.Join> list = new ArrayList<>(rooms.length);
            for (RoomState r : rooms) {
                r.awaiting = ref;
                list.add(new ClientMessage.Join(r.name, r.lastSeq, r.epoch, null));
            }
            conn.send(new ClientMessage.Resume(list, ref));
            return;
        }
        for (int i = 0; i < rooms.length; i++) {
            RoomState r = rooms[i];
            r.awaiting = ref + "-" + i;
            Long since = r.since();
            conn.send(new ClientMessage.Join(r.name, since, since != null ? r.epoch : null, r.awaiting));
        }
    }

    private void presence(String of) {
        if (of == null) {
            return;
        }
        if (of.equals(Limits.DEFAULT_ROOM) && !byName.containsKey(Limits.DEFAULT_ROOM) && !leftLobby) {
            leftLobby = true;
            conn.send(new ClientMessage.Leave(Limits.DEFAULT_ROOM, null));
        } else {
            presenceOf(of);
        }
    }

    private void history(ServerMessage.History h) {
        RoomState r = byName.get(h.room());
        if (r == null || r.awaiting == null) {
            return;
        }
        if (!(r.awaiting.equals(h.ref()) || (awaitingResume && h.ref() == null))) {
            return;
        }
        r.awaiting = null;
        if (h.epoch() != null) {
            r.epoch = h.epoch();
        }
        boolean first = r.base < 0;
        long before = r.lastSeq;
        for (ServerMessage.Chat m : h.messages()) {
            if (first) {
                r.lastSeq = Math.max(r.lastSeq, m.seq());
            } else {
                chat(r, m.seq(), m.message());
            }
        }
        if (first) {
            // the first history holds what the room had before this run: this run's messages come after it
            r.base = r.lastSeq + 1;
        } else if (Boolean.FALSE.equals(h.recovered())) {
            recoveredFalse++;
            recoveredFalse(r, before);
        }
        if (--awaitingRooms == 0) {
            caughtUp();
        }
    }

    /** One chat message of a room, live or from a catch-up. */
    private void chat(RoomState r, long seq, String message) {
        r.lastSeq = Math.max(r.lastSeq, seq);
        if (r.base < 0) {
            return;
        }
        long[] marker = marker(message, clients.runId);
        if (marker != null) {
            counted(r, seq, marker);
        }
    }

    /**
     * The sender slot and the sender's sequence number of a bench message of run {@code runId}
     * ({@code #B<run>:<sender>:<seq>:<micros>#} at the end), or {@code null}.
     */
    static long[] marker(String text, int runId) {
        if (text == null || !text.endsWith("#")) {
            return null;
        }
        int start = text.lastIndexOf("#B", text.length() - 2);
        if (start < 0) {
            return null;
        }
        String[] f = text.substring(start + 2, text.length() - 1).split(":", -1);
        if (f.length != 4) {
            return null;
        }
        try {
            if (Long.parseLong(f[0]) != runId) {
                return null;
            }
            return new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Whether a catch-up after the first is one {@code resume} message rather than a join per room. */
    boolean oneMessageResume() {
        return false;
    }

    /** The presence of a room came (not lobby's, left at once when it is not one of this client's rooms). */
    void presenceOf(String room) {
    }

    /** A message of this run (its {@code marker}: sender slot, sender's seq) in a room, live or caught up. */
    abstract void counted(RoomState r, long seq, long[] marker);

    /** A catch-up of a room was answered {@code recovered:false}: there may be a gap after {@code since}. */
    void recoveredFalse(RoomState r, long since) {
    }

    /** Every room's history came back on the current connection. */
    abstract void caughtUp();

    /** An ack of one of this client's messages. */
    void ack(ServerMessage.Ack a) {
    }

    /** The current connection closed after the first was set up, and the client is not stopped. */
    abstract void dropped(Conn c);

    @Override
    public synchronized void ready(Conn c) {
        pop.ready(c);
    }

    @Override
    public synchronized void closed(Conn c, boolean wasReady) {
        if (c != conn) {
            return;
        }
        if (!firstReady) {
            // setup failed: the run reports it as a connection that did not come up
            pop.closed(c, false);
            return;
        }
        if (stopped) {
            return;
        }
        dropped(c);
    }

    /** Marks the first connection set up; its population counts it. */
    void firstReady() {
        firstReady = true;
        conn.markReady();
    }

    /** Drops the current connection as a network failure does (a TCP reset); the client reconnects by itself. */
    void abortConnection() {
        if (conn != null && conn.channel != null) {
            Conn c = conn;
            c.channel.eventLoop().execute(c::abort);
        }
    }

    /** Stops reconnecting; returns the current connection, for the caller to close. */
    synchronized Conn stop() {
        stopped = true;
        return conn;
    }
}
