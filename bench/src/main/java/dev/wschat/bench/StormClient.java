package dev.wschat.bench;

import dev.wschat.protocol.ClientMessage;
import dev.wschat.protocol.Limits;
import dev.wschat.protocol.ServerMessage;
import io.netty.channel.ConnectTimeoutException;

import java.net.ConnectException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One client of the {@code storm} scenario, in several rooms, behaving like the browser client: after a drop it
 * reconnects with the browser's backoff (honouring {@code Retry-After}) and catches its rooms up as a
 * {@link ResumingClient} does; when it is a sender, it then resends every message not yet acknowledged (same
 * {@code clientMsgId}: the server's dedup makes that safe). The scenario counts what each client lost or got twice
 * against the acknowledged messages.
 */
final class StormClient extends ResumingClient {
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

    /** A message of this sender not yet acknowledged. */
    private record Pending(String room, String content, long sentNanos) {
    }

    private final Storm storm;
    final int index;
    /** This client's sender slot, or -1 when it only receives. */
    final int senderSlot;
    /** Caught up on the current connection: every room's history came back. */
    private boolean up;
    private int attempt;
    private long openedNanos;
    private long retryAfterMs = -1;
    /** When this client was back after the storm (every room caught up), {@link System#nanoTime()}; 0 before. */
    private long backNanos;
    private boolean dropped;
    private long attempts;
    private Conn timedOut;
    // the sender's side
    private final TreeMap<Integer, Pending> unacked = new TreeMap<>();
    private final Map<Integer, Long> ackedSeq = new HashMap<>();
    private int nextMsg;
    private long sent;
    private long resent;

    StormClient(Storm storm, int index, List<String> roomNames, int node, int senderSlot) {
        super(storm.clients(), storm.population(), node, Limits.DEFAULT_ROOM, "c" + index + "-", roomNames);
        this.storm = storm;
        this.index = index;
        this.senderSlot = senderSlot;
    }

    @Override
    boolean oneMessageResume() {
        return storm.oneMessageResume();
    }

    @Override
    void counted(RoomState r, long seq, long[] marker) {
        // below the base: a seq of this run's before it, the room started over (a new epoch)
        if (r.see(seq) != RoomState.Seen.FIRST) {
            r.duplicates++;
        }
    }

    @Override
    void recoveredFalse(RoomState r, long since) {
        storm.recoveredFalse(r.name, since);
    }

    @Override
    void caughtUp() {
        up = true;
        openedNanos = System.nanoTime();
        retryAfterMs = -1;
        if (!firstReady) {
            firstReady();
            return;
        }
        if (dropped && backNanos == 0) {
            backNanos = System.nanoTime();
        }
        storm.back(this);
        resendUnacked(0);
    }

    @Override
    void ack(ServerMessage.Ack a) {
        String id = a.clientMsgId();
        if (!id.startsWith("s" + senderSlot + "-")) {
            return;
        }
        int n;
        try {
            n = Integer.parseInt(id.substring(id.indexOf('-') + 1));
        } catch (NumberFormatException e) {
            return;
        }
        long seq = a.seq();
        unacked.remove(n);
        Long earlier = ackedSeq.putIfAbsent(n, seq);
        if (earlier == null) {
            storm.acked(a.room(), seq);
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
    void dropped(Conn c) {
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
        Conn c = connectAgain();
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
        abortConnection();
    }

    /** Stops sending; returns whether every message of this sender was acknowledged. */
    synchronized int unacked() {
        return unacked.size();
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
    synchronized long lost(Map<String, Set<Long>> acked, Map<String, long[]> perRoom) {
        long lost = 0;
        for (RoomState r : rooms) {
            Set<Long> a = acked.get(r.name);
            long l = 0;
            if (a != null) {
                for (long seq : a) {
                    if (r.missed(seq)) {
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
}
