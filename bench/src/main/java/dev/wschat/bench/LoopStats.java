package dev.wschat.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * The statistics of one client event loop, written only by that loop's thread (so no contention
 * between loops) and read by the collector once a second.
 */
final class LoopStats {
    /** Highest latency recorded, in microseconds (one hour); longer values are clamped. */
    static final long MAX_MICROS = 3_600_000_000L;

    final SingleWriterRecorder latency = new SingleWriterRecorder(1, MAX_MICROS, 3);
    final SingleWriterRecorder handshake = new SingleWriterRecorder(1, MAX_MICROS, 3);
    final SingleWriterRecorder ack = new SingleWriterRecorder(1, MAX_MICROS, 3);
    /** Acks received for this run's messages ({@code --ack}). */
    final Counter acks = new Counter();
    /** Chats the server refused with {@code error unavailable} (its store could not take them). */
    final Counter refused = new Counter();
    final Counter deliveries = new Counter();
    final Counter unique = new Counter();
    final Counter duplicates = new Counter();
    final Counter outOfOrder = new Counter();
    final Counter otherFrames = new Counter();
    final Counter sent = new Counter();
    final Counter opened = new Counter();
    final Counter failed = new Counter();
    final Counter closed = new Counter();
    /** Scratch space for each chat frame, scanned for the bench marker; grows to the largest frame. */
    byte[] scratch = new byte[512];
    private Histogram latencyInterval;
    private Histogram handshakeInterval;
    private Histogram ackInterval;

    void recordLatency(long micros) {
        latency.recordValue(Math.min(Math.max(micros, 0), MAX_MICROS));
    }

    void recordHandshake(long micros) {
        handshake.recordValue(Math.min(Math.max(micros, 0), MAX_MICROS));
    }

    void recordAck(long micros) {
        ack.recordValue(Math.min(Math.max(micros, 0), MAX_MICROS));
    }

    /** The send-to-ack times recorded since the last call; collector thread only. */
    Histogram takeAck() {
        ackInterval = ack.getIntervalHistogram(ackInterval);
        return ackInterval;
    }

    /** The latencies recorded since the last call; collector thread only. */
    Histogram takeLatency() {
        latencyInterval = latency.getIntervalHistogram(latencyInterval);
        return latencyInterval;
    }

    /** The handshake times recorded since the last call; collector thread only. */
    Histogram takeHandshake() {
        handshakeInterval = handshake.getIntervalHistogram(handshakeInterval);
        return handshakeInterval;
    }
}
