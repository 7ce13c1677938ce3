package dev.wschat.bench;

import org.HdrHistogram.Histogram;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntSupplier;

/**
 * Collects every loop's statistics once a second: merges their interval histograms (per-thread
 * recorders, merged here, off the loops), keeps the timeline for the chart and prints a progress line.
 */
final class Sampler {
    /** One second of the run, as charted. */
    record Point(double t, String phase, int connections, double messagesPerSec, double deliveriesPerSec,
                 double p50, double p90, double p99, double p999, double max) {
    }

    /** Counter totals at one moment. */
    record Totals(long deliveries, long unique, long duplicates, long outOfOrder, long other, long sent,
                  long opened, long failed, long closed) {
    }

    private final Clients clients;
    private final IntSupplier connections;
    private final long startNanos = System.nanoTime();
    private final List<Point> timeline = new ArrayList<>();
    /** Latencies since the last {@link #resetPhase()}, microseconds. */
    private final Histogram phaseLatency = new Histogram(1, LoopStats.MAX_MICROS, 3);
    private final Histogram phaseHandshake = new Histogram(1, LoopStats.MAX_MICROS, 3);
    private final Histogram phaseAck = new Histogram(1, LoopStats.MAX_MICROS, 3);
    private long lastSampleNanos = startNanos;
    private Totals last = new Totals(0, 0, 0, 0, 0, 0, 0, 0, 0);
    private String phase = "setup";
    private double bestOpenRate;
    private final boolean quiet;

    Sampler(Clients clients, IntSupplier connections, boolean quiet) {
        this.clients = clients;
        this.connections = connections;
        this.quiet = quiet;
    }

    void phase(String name) {
        this.phase = name;
    }

    /** Forgets the latencies gathered so far (after draining what the loops recorded). */
    void resetPhase() {
        drainHistograms(null, null);
        phaseLatency.reset();
        phaseHandshake.reset();
        phaseAck.reset();
    }

    Histogram phaseLatency() {
        return phaseLatency;
    }

    Histogram phaseHandshake() {
        return phaseHandshake;
    }

    /** Send-to-ack times of this phase ({@code --ack}). */
    Histogram phaseAck() {
        return phaseAck;
    }

    /** Acks and refusals summed over every loop: {acks, refused}. */
    long[] ackTotals() {
        long a = 0, r = 0;
        for (LoopStats st : clients.allStats()) {
            a += st.acks.get();
            r += st.refused.get();
        }
        return new long[] {a, r};
    }

    /** The most connections opened per second over any sampling interval of at least half a second. */
    double bestOpenRate() {
        return bestOpenRate;
    }

    List<Point> timeline() {
        return timeline;
    }

    double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** The counters summed over every loop. */
    Totals totals() {
        long d = 0, u = 0, dup = 0, ooo = 0, o = 0, s = 0, op = 0, f = 0, c = 0;
        for (LoopStats st : clients.allStats()) {
            d += st.deliveries.get();
            u += st.unique.get();
            dup += st.duplicates.get();
            ooo += st.outOfOrder.get();
            o += st.otherFrames.get();
            s += st.sent.get();
            op += st.opened.get();
            f += st.failed.get();
            c += st.closed.get();
        }
        return new Totals(d, u, dup, ooo, o, s, op, f, c);
    }

    private void drainHistograms(Histogram intervalLatency, Histogram intervalHandshake) {
        for (LoopStats st : clients.allStats()) {
            Histogram h = st.takeLatency();
            phaseLatency.add(h);
            if (intervalLatency != null) {
                intervalLatency.add(h);
            }
            phaseAck.add(st.takeAck());
            Histogram hs = st.takeHandshake();
            phaseHandshake.add(hs);
            if (intervalHandshake != null) {
                intervalHandshake.add(hs);
            }
        }
    }

    /** Takes one sample: adds a timeline point and prints the progress line. */
    Point sample() {
        long now = System.nanoTime();
        double dt = Math.max(1e-3, (now - lastSampleNanos) / 1e9);
        lastSampleNanos = now;
        Histogram interval = new Histogram(1, LoopStats.MAX_MICROS, 3);
        Histogram handshakes = new Histogram(1, LoopStats.MAX_MICROS, 3);
        drainHistograms(interval, handshakes);
        Totals t = totals();
        double msgs = (t.sent() - last.sent()) / dt;
        double dels = (t.deliveries() - last.deliveries()) / dt;
        double opens = (t.opened() - last.opened()) / dt;
        if (dt >= 0.5) {
            bestOpenRate = Math.max(bestOpenRate, opens);
        }
        last = t;
        boolean any = interval.getTotalCount() > 0;
        Point p = new Point(Math.round(elapsedSeconds() * 10) / 10.0, phase, connections.getAsInt(), msgs, dels,
                any ? ms(interval.getValueAtPercentile(50)) : 0, any ? ms(interval.getValueAtPercentile(90)) : 0,
                any ? ms(interval.getValueAtPercentile(99)) : 0, any ? ms(interval.getValueAtPercentile(99.9)) : 0,
                any ? ms(interval.getMaxValue()) : 0);
        timeline.add(p);
        if (!quiet) {
            String hs = handshakes.getTotalCount() > 0
                    ? String.format(Locale.ROOT, "  handshakes/s %,.0f p99 %.1f ms", opens,
                    ms(handshakes.getValueAtPercentile(99)))
                    : "";
            System.out.printf(Locale.ROOT, "[%6.1fs %-14s] conns %,7d  msgs/s %,8.0f  deliveries/s %,10.0f  "
                            + "p99 %8.2f ms  failed %d%s%n", p.t(), phase, p.connections(), msgs, dels, p.p99(),
                    t.failed(), hs);
        }
        return p;
    }

    static double ms(long micros) {
        return micros / 1000.0;
    }

    /** This process's CPU time in seconds. */
    static double ownCpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime() / 1e9;
        }
        return -1;
    }
}
