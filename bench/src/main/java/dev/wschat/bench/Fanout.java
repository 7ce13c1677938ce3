package dev.wschat.bench;

import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.Limits;
import io.netty.util.concurrent.ScheduledFuture;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The {@code fanout} and {@code ramp} scenarios: N clients in R rooms, S of them sending at a fixed
 * total rate; each step's latency, throughput, loss and CPU per delivery. {@code ramp} steps the rate up
 * until p99 passes the limit or anything is lost, and reports the highest sustainable step.
 */
final class Fanout {
    /** One sender: its connection, its slot in every receiver's sequence table and its schedule. */
    static final class Sender {
        final int slot;
        final Conn conn;
        final int recipients;
        final Counter sent = new Counter();
        int seq;
        long k;
        ScheduledFuture<?> future;

        Sender(int slot, Conn conn, int recipients) {
            this.slot = slot;
            this.conn = conn;
            this.recipients = recipients;
        }
    }

    /** What one step measured. */
    record Step(String name, double offeredDeliveriesPerSec, double messagesPerSec, double seconds, long sent,
                long expected, long received, long lost, long duplicates, long outOfOrder,
                double deliveriesPerSec, double p50, double p90, double p99, double p999, double max,
                double serverCpuUsPerDelivery, double benchCpuUsPerDelivery, long serverRssBytes,
                boolean sustainable) {
    }

    private final CommonOptions common;
    private final LoadOptions o;
    private final String scenario;
    private final boolean ramp;
    private final int clientsN;
    private final int roomsN;
    private final int sendersN;
    private final int padding;
    private final double p99LimitMs;
    private final int drainSeconds;
    private final ServerProbe probe;
    private final List<Sender> senders = new ArrayList<>();
    private Clients clients;
    private Sampler sampler;
    private Population pop;
    private double avgRecipients;
    private long churners;
    private long churnFailures;
    private final Histogram churnHandshakes = new Histogram(1, LoopStats.MAX_MICROS, 3);

    Fanout(CommonOptions common, LoadOptions o, String scenario) {
        this.common = common;
        this.o = o;
        this.scenario = scenario;
        this.ramp = "ramp".equals(scenario);
        this.clientsN = o.clients;
        this.roomsN = o.rooms;
        this.sendersN = o.senders;
        this.padding = Math.max(0, o.size - 24);
        this.p99LimitMs = o.p99LimitMs;
        this.drainSeconds = o.drainSeconds;
        this.probe = new ServerProbe(common.serverPid, common.metricsUrl);
    }

    Report run(Map<String, Object> options) throws Exception {
        Dialect dialect = common.dialect;
        if (dialect == Dialect.TUTORIAL && roomsN != 1) {
            throw new IllegalArgumentException("dialect 1 has one room only: use --rooms 1");
        }
        if (sendersN < 1 || sendersN > clientsN || roomsN < 1 || roomsN > clientsN) {
            throw new IllegalArgumentException("need 1 <= senders <= clients and 1 <= rooms <= clients");
        }
        Bench.checkFdLimit(clientsN, probe);
        Report report = new Report(scenario, options);
        try (Clients c = new Clients(common.uri(), dialect, common.threads, common.sourceAddresses,
                common.transport)) {
            clients = c;
            pop = new Population(c);
            sampler = new Sampler(c, pop::open, common.isQuiet());
            setup(report);
            List<Step> steps = new ArrayList<>();
            if (ramp) {
                double rate = o.start;
                double factor = o.factor;
                double max = o.max;
                int stepSeconds = o.stepSeconds;
                int maxSteps = o.maxSteps;
                warmup(rate);
                for (int i = 0; i < maxSteps && rate <= max; i++) {
                    Step s = step(String.format(Locale.ROOT, "step %d", i + 1), rate, stepSeconds);
                    steps.add(s);
                    if (!s.sustainable()) {
                        break;
                    }
                    rate *= factor;
                }
            } else {
                double rate = o.rate;
                warmup(rate);
                steps.add(step("measure", rate, o.duration));
            }
            report.steps(steps);
            Step best = null;
            for (Step s : steps) {
                if (s.sustainable() && (best == null || s.deliveriesPerSec() > best.deliveriesPerSec())) {
                    best = s;
                }
            }
            report.put("sustainable_deliveries_per_sec", best == null ? 0 : Math.round(best.deliveriesPerSec()));
            report.put("saturation_step", best == null ? "none" : best.name());
            Sampler.Totals t = sampler.totals();
            report.put("connection_failures", t.failed());
            if (churners > 0) {
                Histogram hs = churnHandshakes;
                report.put("churn_connections_opened", churners);
                report.put("churn_failures", churnFailures);
                report.put("churn_handshake_p50_ms", Sampler.ms(hs.getValueAtPercentile(50)));
                report.put("churn_handshake_p99_ms", Sampler.ms(hs.getValueAtPercentile(99)));
                report.put("churn_handshake_max_ms", Sampler.ms(hs.getMaxValue()));
            }
            report.put("bench_threads", clients.loops());
            report.put("transport", clients.transport);
            report.timeline(sampler.timeline());
            sampler.phase("closing");
            List<io.netty.channel.Channel> channels = new ArrayList<>();
            for (Conn conn : pop.conns) {
                if (conn.channel != null) {
                    channels.add(conn.channel);
                }
            }
            Clients.closeAll(channels, 10);
        }
        return report;
    }

    private void setup(Report report) throws InterruptedException {
        sampler.phase("connect");
        int perRoom = (clientsN + roomsN - 1) / roomsN;
        double took = pop.open(clientsN, o.connectRate, o.maxPending, o.setupTimeout, i -> new Conn(clients,
                pop, roomsN == 1 ? Limits.DEFAULT_ROOM : "bench-" + (i % roomsN), sendersN), sampler);
        int ready = pop.open();
        if (ready < clientsN) {
            throw new IllegalStateException("only " + ready + " of " + clientsN + " clients connected and set up in "
                    + String.format(Locale.ROOT, "%.1f s", took) + "; failures: " + sampler.totals().failed());
        }
        int[] members = new int[roomsN];
        for (int i = 0; i < clientsN; i++) {
            members[i % roomsN]++;
        }
        // the tutorial's protocol does not echo a chat to its sender; wschat.v2 does
        int echo = clients.dialect == Dialect.TUTORIAL ? 1 : 0;
        long totalRecipients = 0;
        for (int s = 0; s < sendersN; s++) {
            int recipients = members[s % roomsN] - echo;
            senders.add(new Sender(s, pop.conns.get(s), recipients));
            totalRecipients += recipients;
        }
        avgRecipients = (double) totalRecipients / sendersN;
        sampler.phase("settle");
        settle();
        report.put("clients", clientsN);
        report.put("rooms", roomsN);
        report.put("senders", sendersN);
        report.put("members_per_room", perRoom);
        report.put("recipients_per_message", avgRecipients);
        report.put("dialect", clients.dialect.name());
        report.put("connect_seconds", took);
        report.put("setup_frames", sampler.totals().other());
    }

    /** Waits until setup traffic (welcomes, notices) stops: no frame for half a second, at most 120 s. */
    private void settle() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(o.settleTimeout);
        long lastFrames = -1;
        long quietSince = System.nanoTime();
        long nextSample = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            long f = sampler.totals().other();
            if (f != lastFrames) {
                lastFrames = f;
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince > 500_000_000L) {
                return;
            }
            if (System.nanoTime() >= nextSample) {
                sampler.sample();
                nextSample += 1_000_000_000L;
            }
            Thread.sleep(50);
        }
    }

    private void warmup(double deliveriesPerSec) throws InterruptedException {
        int seconds = o.warmup;
        if (seconds > 0) {
            step("warmup", deliveriesPerSec, seconds);
        }
    }

    /** Runs senders at {@code deliveriesPerSec} for {@code seconds}, then drains, and measures. */
    private Step step(String name, double deliveriesPerSec, int seconds) throws InterruptedException {
        sampler.phase(name);
        double msgRate = deliveriesPerSec / avgRecipients;
        long periodNanos = Math.max(1_000, (long) (1e9 * sendersN / msgRate));
        Sampler.Totals t0 = sampler.totals();
        long[] sent0 = new long[sendersN];
        for (Sender s : senders) {
            sent0[s.slot] = s.sent.get();
        }
        sampler.resetPhase();
        double serverCpu0 = probe.cpuSeconds();
        double benchCpu0 = Sampler.ownCpuSeconds();
        long start = System.nanoTime() + 20_000_000L;
        for (Sender s : senders) {
            long first = start + periodNanos * s.slot / sendersN;
            s.k = 0;
            s.future = s.conn.channel.eventLoop().scheduleAtFixedRate(() -> {
                long intended = first + s.k * periodNanos;
                s.k++;
                s.seq++;
                if (s.conn.sendChat(s.slot, s.seq, clients.nowMicrosAt(intended), padding)) {
                    s.sent.inc();
                } else {
                    s.seq--;
                }
            }, Math.max(0, first - System.nanoTime()), periodNanos, TimeUnit.NANOSECONDS);
        }
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        long next = start + 1_000_000_000L;
        boolean churning = "churn".equals(scenario) && "measure".equals(name);
        double churnRate = o.churnRate;
        int holdMs = o.holdMs;
        long launched = 0;
        List<Conn> churnConns = new ArrayList<>();
        while (System.nanoTime() < end) {
            long sleep = Math.min(next, end) - System.nanoTime();
            if (churning) {
                long due = (long) ((System.nanoTime() - start) / 1e9 * churnRate);
                while (launched < due) {
                    Conn c = new Conn(clients, new Conn.Events() {
                        @Override
                        public void ready(Conn conn) {
                            conn.channel.eventLoop().schedule(() -> {
                                conn.channel.close();
                            }, holdMs, TimeUnit.MILLISECONDS);
                        }
                    }, Limits.DEFAULT_ROOM, 0);
                    churnConns.add(c);
                    clients.connect(c);
                    launched++;
                }
                sleep = Math.min(sleep, 1_000_000L);
            }
            if (sleep > 0) {
                TimeUnit.NANOSECONDS.sleep(sleep);
            }
            if (System.nanoTime() >= next) {
                sampler.sample();
                next += 1_000_000_000L;
            }
        }
        if (churning) {
            churners = launched;
            churnHandshakes.add(sampler.phaseHandshake());
        }
        for (Sender s : senders) {
            s.future.cancel(false);
        }
        clients.onEveryLoop(() -> { });
        long windowNanos = System.nanoTime() - start;
        long receivedInWindow = sampler.totals().unique() - t0.unique();
        long expected = 0;
        long sent = 0;
        for (Sender s : senders) {
            long n = s.sent.get() - sent0[s.slot];
            sent += n;
            expected += n * s.recipients;
        }
        long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(drainSeconds);
        while (System.nanoTime() < drainDeadline && sampler.totals().unique() - t0.unique() < expected) {
            Thread.sleep(20);
        }
        double serverCpu1 = probe.cpuSeconds();
        double benchCpu1 = Sampler.ownCpuSeconds();
        sampler.sample();
        Sampler.Totals t1 = sampler.totals();
        if (churning) {
            churnFailures = t1.failed() - t0.failed();
        }
        long received = t1.unique() - t0.unique();
        long lost = Math.max(0, expected - received);
        long dups = t1.duplicates() - t0.duplicates();
        long ooo = t1.outOfOrder() - t0.outOfOrder();
        Histogram h = sampler.phaseLatency();
        boolean any = h.getTotalCount() > 0;
        double p99 = any ? Sampler.ms(h.getValueAtPercentile(99)) : 0;
        double window = windowNanos / 1e9;
        double achieved = receivedInWindow / window;
        long deliveries = t1.deliveries() - t0.deliveries();
        boolean sustainable = lost == 0 && dups == 0 && any && p99 <= p99LimitMs
                && achieved >= 0.9 * deliveriesPerSec;
        Step s = new Step(name, deliveriesPerSec, sent / window, window, sent, expected, received, lost, dups, ooo,
                achieved, any ? Sampler.ms(h.getValueAtPercentile(50)) : 0,
                any ? Sampler.ms(h.getValueAtPercentile(90)) : 0, p99,
                any ? Sampler.ms(h.getValueAtPercentile(99.9)) : 0, any ? Sampler.ms(h.getMaxValue()) : 0,
                serverCpu0 >= 0 && deliveries > 0 ? (serverCpu1 - serverCpu0) * 1e6 / deliveries : -1,
                benchCpu0 >= 0 && deliveries > 0 ? (benchCpu1 - benchCpu0) * 1e6 / deliveries : -1,
                probe.rssBytes(), sustainable);
        System.out.printf(Locale.ROOT, "== %s: offered %,.0f deliveries/s, got %,.0f/s, p50 %.2f p99 %.2f p99.9 %.2f "
                        + "max %.2f ms, lost %d, dup %d, out-of-order %d, server %.2f us/delivery, bench %.2f us/delivery"
                        + " -> %s%n", name, deliveriesPerSec, achieved, s.p50(), s.p99(), s.p999(), s.max(), lost, dups,
                ooo, s.serverCpuUsPerDelivery(), s.benchCpuUsPerDelivery(), sustainable ? "ok" : "NOT sustainable");
        return s;
    }

    static Map<String, Object> stepJson(Step s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        m.put("offered_deliveries_per_sec", Math.round(s.offeredDeliveriesPerSec()));
        m.put("messages_per_sec", s.messagesPerSec());
        m.put("seconds", s.seconds());
        m.put("sent", s.sent());
        m.put("expected", s.expected());
        m.put("received", s.received());
        m.put("lost", s.lost());
        m.put("duplicates", s.duplicates());
        m.put("out_of_order", s.outOfOrder());
        m.put("deliveries_per_sec", Math.round(s.deliveriesPerSec()));
        m.put("p50_ms", s.p50());
        m.put("p90_ms", s.p90());
        m.put("p99_ms", s.p99());
        m.put("p999_ms", s.p999());
        m.put("max_ms", s.max());
        m.put("server_cpu_us_per_delivery", s.serverCpuUsPerDelivery());
        m.put("bench_cpu_us_per_delivery", s.benchCpuUsPerDelivery());
        m.put("server_rss_bytes", s.serverRssBytes());
        m.put("sustainable", s.sustainable());
        return m;
    }
}
