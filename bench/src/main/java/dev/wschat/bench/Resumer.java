package dev.wschat.bench;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.wschat.protocol.ClientMessage;
import dev.wschat.protocol.Limits;
import org.HdrHistogram.Histogram;

import java.util.BitSet;

/**
 * A receiving client that drops its connection now and then (a TCP reset, no close frame) and comes back the way
 * a real client does: it reconnects (with {@code ?resume=TOKEN} when its welcome carried a {@code resumeToken})
 * and resumes its room with {@code join {since, epoch}}. It keeps what it ended with — the resume's
 * {@code history} and the live messages merged, by the room's {@code seq} — and counts, against what the senders
 * sent, the messages it lost and the ones it got twice. Its successive connections live on different event
 * loops, one after the other: every method is synchronized.
 */
final class Resumer implements Conn.Events, Conn.TextSink {
    private final Clients clients;
    private final Population pop;
    final String room;
    private final int node;
    private final long gapNanos;
    /** Resume latencies of every resumer, microseconds: reconnect start to the room's history received. */
    private final Histogram latency;
    /** This run's sender sequence numbers seen, per sender slot. */
    private final BitSet[] bySender;
    /** The room's seqs of this run's messages seen, from {@link #base}. */
    private final BitSet roomSeqs = new BitSet();
    private long base = -1;
    private long maxRunSeq;
    private Conn conn;
    private boolean firstReady;
    private boolean leftLobby;
    private boolean stopped;
    private boolean resuming;
    private long resumeStartNanos;
    private String token;
    private String epoch;
    /** The highest room seq seen, of any message: the {@code since} of the next resume; -1 before any. */
    private long lastSeq = -1;
    private String joinRef;
    private int refs;
    private long dropEveryNanos;
    private long dropUntilNanos;
    private long nextDropNanos;
    private long drops;
    private long resumes;
    private long recoveredFalse;
    private long resumedSessions;
    private long failures;
    private long duplicates;
    private long outOfOrder;

    Resumer(Clients clients, Population pop, String room, int node, int senderSlots, long gapNanos,
            Histogram latency) {
        this.clients = clients;
        this.pop = pop;
        this.room = room;
        this.node = node;
        this.gapNanos = gapNanos;
        this.latency = latency;
        this.bySender = new BitSet[senderSlots];
    }

    /** The first connection, for the population to open. */
    synchronized Conn first() {
        conn = newConn();
        return conn;
    }

    private Conn newConn() {
        Conn c = new Conn(clients, this, room, 0);
        c.node = node;
        c.resumeToken = token;
        c.resumer = this;
        return c;
    }

    /** One server frame of the current connection (or a late one of an earlier, ignored). */
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
            case "presence" -> presence(str(o, "room"));
            case "history" -> history(o);
            case "chat" -> {
                if (room.equals(str(o, "room")) && o.has("seq")) {
                    record(o.get("seq").getAsLong(), str(o, "message"));
                }
            }
            default -> {
                // notices, errors (a leave of lobby the session was not in): nothing to count
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
        joinRef = "r" + (++refs);
        // a session resumed by token may already be in the room (and may offer its own catch-up, ignored here):
        // a join with since is answered with the room's history either way, matched by its ref
        Long since = lastSeq >= 0 && resuming ? lastSeq : null;
        conn.send(new ClientMessage.Join(room, since, since != null ? epoch : null, joinRef));
    }

    private void presence(String of) {
        if (of == null) {
            return;
        }
        if (of.equals(Limits.DEFAULT_ROOM) && !room.equals(Limits.DEFAULT_ROOM) && !leftLobby) {
            leftLobby = true;
            conn.send(new ClientMessage.Leave(Limits.DEFAULT_ROOM, null));
        } else if (of.equals(room) && !firstReady) {
            firstReady = true;
            conn.markReady();
        }
    }

    private void history(JsonObject o) {
        if (!room.equals(str(o, "room")) || joinRef == null || !joinRef.equals(str(o, "ref"))) {
            return;
        }
        joinRef = null;
        String e = str(o, "epoch");
        if (e != null) {
            epoch = e;
        }
        if (o.has("messages") && o.get("messages").isJsonArray()) {
            for (JsonElement m : o.getAsJsonArray("messages")) {
                if (m.isJsonObject() && m.getAsJsonObject().has("seq")) {
                    record(m.getAsJsonObject().get("seq").getAsLong(), str(m.getAsJsonObject(), "message"));
                }
            }
        }
        if (base < 0) {
            // the first join's history holds what the room had before this run: this run's messages come after it
            base = lastSeq + 1;
        }
        if (resuming) {
            resuming = false;
            resumes++;
            latency.recordValue(Math.min(LoopStats.MAX_MICROS,
                    Math.max(1, (System.nanoTime() - resumeStartNanos) / 1_000)));
            if (o.has("recovered") && o.get("recovered").isJsonPrimitive() && !o.get("recovered").getAsBoolean()) {
                recoveredFalse++;
            }
            scheduleDrop();
        }
    }

    /** One chat message of the room, live or from a history. */
    private void record(long seq, String message) {
        lastSeq = Math.max(lastSeq, seq);
        long[] marker = marker(message, clients.runId);
        if (marker == null) {
            // another run's message, replayed from the room's history
            return;
        }
        if (base < 0) {
            base = seq;
        }
        if (seq < base || seq - base > Integer.MAX_VALUE - 1) {
            outOfOrder++;
            return;
        }
        int i = (int) (seq - base);
        if (roomSeqs.get(i)) {
            duplicates++;
            return;
        }
        roomSeqs.set(i);
        if (seq < maxRunSeq) {
            outOfOrder++;
        } else {
            maxRunSeq = seq;
        }
        int sender = (int) marker[0];
        if (sender < bySender.length && marker[1] <= Integer.MAX_VALUE) {
            if (bySender[sender] == null) {
                bySender[sender] = new BitSet();
            }
            bySender[sender].set((int) marker[1]);
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
        if (resuming) {
            // the reconnect failed, or the connection closed before the room's history came: try again
            failures++;
        } else {
            resuming = true;
            resumeStartNanos = 0;
        }
        clients.schedule(this::reconnect, gapNanos);
    }

    private synchronized void reconnect() {
        if (stopped) {
            return;
        }
        if (resumeStartNanos == 0) {
            resumeStartNanos = System.nanoTime();
        }
        conn = newConn();
        clients.connect(conn);
    }

    /**
     * Drops the connection at {@code firstNanos} and every {@code everyNanos} after (skipping a time that comes while
     * still resuming) until {@code untilNanos} ({@link System#nanoTime()} readings).
     */
    synchronized void dropBetween(long firstNanos, long everyNanos, long untilNanos) {
        dropEveryNanos = everyNanos;
        dropUntilNanos = untilNanos;
        nextDropNanos = firstNanos;
        scheduleDrop();
    }

    private void scheduleDrop() {
        long now = System.nanoTime();
        while (nextDropNanos < now && dropEveryNanos > 0) {
            nextDropNanos += dropEveryNanos;
        }
        if (stopped || nextDropNanos >= dropUntilNanos || dropEveryNanos <= 0) {
            return;
        }
        long at = nextDropNanos;
        nextDropNanos += dropEveryNanos;
        clients.schedule(this::dropNow, at - now);
    }

    private synchronized void dropNow() {
        if (stopped || resuming || conn == null || conn.channel == null || System.nanoTime() >= dropUntilNanos) {
            return;
        }
        drops++;
        Conn c = conn;
        c.channel.eventLoop().execute(c::abort);
    }

    /** Whether this client is connected and has its room's history back: not in the middle of a resume. */
    synchronized boolean settled() {
        return !resuming;
    }

    /** Messages of the senders of this room ({@code sent[slot]}, for the slots in {@code inRoom}) not seen. */
    synchronized long lost(int[] sent, boolean[] inRoom) {
        long lost = 0;
        for (int s = 0; s < sent.length; s++) {
            if (!inRoom[s]) {
                continue;
            }
            BitSet seen = bySender[s];
            long got = seen == null ? 0 : seen.get(1, sent[s] + 1).cardinality();
            lost += sent[s] - got;
        }
        return lost;
    }

    /** Stops dropping and reconnecting; returns the current connection, for the caller to close. */
    synchronized Conn stop() {
        stopped = true;
        return conn;
    }

    /** What this client counted. */
    record Figures(long drops, long resumes, long recoveredFalse, long resumedSessions, long failures,
                   long duplicates, long outOfOrder, boolean unfinished) {
    }

    synchronized Figures figures() {
        return new Figures(drops, resumes, recoveredFalse, resumedSessions, failures, duplicates, outOfOrder,
                resuming);
    }

    private static String str(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }
}
