package dev.wschat.bench;

import org.HdrHistogram.Histogram;

import java.util.BitSet;
import java.util.List;

/**
 * A receiving client of the fan-out scenarios that drops its connection now and then (a TCP reset, no close frame)
 * and comes back as a {@link ResumingClient} does, after a fixed gap, to its one room. It keeps what it ended with
 * — the resume's {@code history} and the live messages merged, by the room's {@code seq} — and counts, against what
 * the senders sent, the messages it lost, the ones it got twice and the ones out of order.
 */
final class Resumer extends ResumingClient {
    final String room;
    private final long gapNanos;
    /** Resume latencies of every resumer, microseconds: reconnect start to the room's history received. */
    private final Histogram latency;
    /** This run's sender sequence numbers seen, per sender slot. */
    private final BitSet[] bySender;
    private long maxRunSeq;
    private boolean resuming;
    private long resumeStartNanos;
    private long dropEveryNanos;
    private long dropUntilNanos;
    private long nextDropNanos;
    private long drops;
    private long resumes;
    private long failures;
    private long outOfOrder;

    Resumer(Clients clients, Population pop, String room, int node, int senderSlots, long gapNanos,
            Histogram latency) {
        super(clients, pop, node, room, "r", List.of(room));
        this.room = room;
        this.gapNanos = gapNanos;
        this.latency = latency;
        this.bySender = new BitSet[senderSlots];
    }

    @Override
    void presenceOf(String of) {
        if (of.equals(room) && !firstReady) {
            firstReady();
        }
    }

    @Override
    void counted(RoomState r, long seq, long[] marker) {
        switch (r.see(seq)) {
            case OUTSIDE -> {
                outOfOrder++;
                return;
            }
            case AGAIN -> {
                r.duplicates++;
                return;
            }
            case FIRST -> {
                // counted below
            }
        }
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

    @Override
    void caughtUp() {
        if (!resuming) {
            return;
        }
        resuming = false;
        resumes++;
        latency.recordValue(Math.min(LoopStats.MAX_MICROS, Math.max(1, (System.nanoTime() - resumeStartNanos) / 1_000)));
        scheduleDrop();
    }

    @Override
    void dropped(Conn c) {
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
        connectAgain();
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
        abortConnection();
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

    /** What this client counted. */
    record Figures(long drops, long resumes, long recoveredFalse, long resumedSessions, long failures,
                   long duplicates, long outOfOrder, boolean unfinished) {
    }

    synchronized Figures figures() {
        return new Figures(drops, resumes, recoveredFalse, resumedSessions, failures, rooms[0].duplicates, outOfOrder,
                resuming);
    }
}
