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
 * until p99 passes the limit or anything is lost, and reports the highest sustainable step. With {@code --resume},
 * a share of the receivers drops and resumes during the measured steps ({@link Resumer}); they are counted apart
 * (resumes, {@code recovered:false}, resume latency, lost and duplicated across the resumes), not in the steps.
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
                boolean sustainable, long acks, long refused, double ackP50, double ackP99, double ackMax,
                Map<String, Double> processCpuSeconds, long deliveries) {
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
    private final Histogram resumeLatency = new org.HdrHistogram.SynchronizedHistogram(1, LoopStats.MAX_MICROS, 3);
    private final List<Resumer> resumers = new ArrayList<>();

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
        boolean socketIo = o.wire == Wire.SOCKETIO;
        if (socketIo && (o.resume > 0 || o.ack)) {
            throw new IllegalArgumentException("--wire socketio: no --resume and no --ack (Socket.IO has neither here)");
        }
        if (dialect == Dialect.TUTORIAL && roomsN != 1 && !socketIo) {
            throw new IllegalArgumentException("dialect 1 has one room only: use --rooms 1");
        }
        if (sendersN < 1 || sendersN > clientsN || roomsN < 1 || roomsN > clientsN) {
            throw new IllegalArgumentException("need 1 <= senders <= clients and 1 <= rooms <= clients");
        }
        if (!(o.resume >= 0 && o.resume <= 1)) {
            throw new IllegalArgumentException("--resume must be a share from 0 to 1: " + o.resume);
        }
        if (o.resume > 0 && dialect == Dialect.TUTORIAL) {
            throw new IllegalArgumentException("--resume needs dialect 2 (join with since and epoch)");
        }
        if (o.ack && dialect != Dialect.V2) {
            throw new IllegalArgumentException("--ack needs --dialect 2 (the tutorial's protocol has no acks)");
        }
        if (o.resume > 0 && (!(o.resumeEvery > 0) || o.resumeGapMs < 0)) {
            throw new IllegalArgumentException("--resume-every must be above 0 and --resume-gap-ms at least 0");
        }
        Bench.checkFdLimit(clientsN, probe);
        Report report = new Report(scenario, options);
        try (Clients c = new Clients(common.uris(), dialect, common.threads, common.sourceAddresses,
                common.transport)) {
            clients = c;
            c.wire = o.wire;
            c.acks = o.ack;
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
                int retries = 0;
                int n = 0;
                for (int i = 0; i < maxSteps && rate <= max; i++) {
                    String name = retries == 0 ? String.format(Locale.ROOT, "step %d", ++n)
                            : String.format(Locale.ROOT, "step %d, again (%d)", n, retries);
                    Step s = step(name, rate, stepSeconds);
                    steps.add(s);
                    if (!s.sustainable()) {
                        if (s.lost() > 0 || s.duplicates() > 0 || s.outOfOrder() > 0 || retries >= o.stepRetries) {
                            break;
                        }
                        retries++;
                        continue;
                    }
                    retries = 0;
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
            if (!resumers.isEmpty()) {
                resumeReport(report);
            }
            report.put("bench_threads", clients.loops());
            report.put("transport", clients.transport);
            report.timeline(sampler.timeline());
            sampler.phase("closing");
            List<io.netty.channel.Channel> channels = new ArrayList<>();
            for (Resumer r : resumers) {
                Conn conn = r.stop();
                if (conn != null && conn.channel != null) {
                    channels.add(conn.channel);
                }
            }
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
        int nodes = clients.nodes();
        if (nodes > 1 && roomsN % nodes != 0) {
            System.out.printf(Locale.ROOT, "NOTE: %d rooms over %d nodes: rooms span nodes, and the counts assume the "
                    + "nodes share rooms (Redis); with separate nodes use a multiple of %d rooms%n", roomsN, nodes, nodes);
        }
        Resumer[] resumerAt = chooseResumers();
        // a resuming client leaves lobby, where every new session lands: one room alone is a room of its own
        boolean lobby = roomsN == 1 && resumerAt.length == 0;
        double took = pop.open(clientsN, o.connectRate, o.maxPending, o.setupTimeout, i -> {
            String room = lobby ? Limits.DEFAULT_ROOM : "bench-" + (i % roomsN);
            if (resumerAt.length > 0 && resumerAt[i] != null) {
                return resumerAt[i].first();
            }
            Conn c = new Conn(clients, pop, room, sendersN);
            c.node = i % nodes;
            return c;
        }, sampler);
        int ready = pop.open();
        if (ready < clientsN) {
            throw new IllegalStateException("only " + ready + " of " + clientsN + " clients connected and set up in "
                    + String.format(Locale.ROOT, "%.1f s", took) + "; failures: " + sampler.totals().failed());
        }
        int[] members = new int[roomsN];
        for (int i = 0; i < clientsN; i++) {
            // resuming clients are counted apart
            if (resumerAt.length == 0 || resumerAt[i] == null) {
                members[i % roomsN]++;
            }
        }
        // the tutorial's protocol does not echo a chat to its sender; wschat.v2 and the Socket.IO peer do
        int echo = clients.dialect == Dialect.TUTORIAL && clients.wire == Wire.WSCHAT ? 1 : 0;
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
        report.put("wire", clients.wire.name().toLowerCase(Locale.ROOT));
        report.put("connect_seconds", took);
        report.put("urls", nodes);
        if (nodes > 1) {
            List<Integer> perUrl = new ArrayList<>();
            for (int n = 0; n < nodes; n++) {
                perUrl.add(clientsN / nodes + (n < clientsN % nodes ? 1 : 0));
            }
            report.put("clients_per_url", perUrl);
        }
        report.put("resuming_clients", resumers.size());
        report.put("setup_frames", sampler.totals().other());
    }

    /**
     * The resuming clients, by client index ({@code null} for the others; an empty array when none): the
     * {@code --resume} share of the receivers (never a sender), taken from each room in turn.
     */
    private Resumer[] chooseResumers() {
        int receivers = clientsN - sendersN;
        int n = (int) Math.round(o.resume * receivers);
        if (n == 0) {
            return new Resumer[0];
        }
        List<List<Integer>> byRoom = new ArrayList<>();
        for (int r = 0; r < roomsN; r++) {
            byRoom.add(new ArrayList<>());
        }
        for (int i = sendersN; i < clientsN; i++) {
            byRoom.get(i % roomsN).add(i);
        }
        Resumer[] at = new Resumer[clientsN];
        long gapNanos = TimeUnit.MILLISECONDS.toNanos(o.resumeGapMs);
        int[] next = new int[roomsN];
        int chosen = 0;
        for (int r = 0; chosen < n; r = (r + 1) % roomsN) {
            List<Integer> candidates = byRoom.get(r);
            if (next[r] < candidates.size()) {
                int i = candidates.get(next[r]++);
                at[i] = new Resumer(clients, pop, "bench-" + (i % roomsN), i % clients.nodes(), sendersN, gapNanos,
                        resumeLatency);
                resumers.add(at[i]);
                chosen++;
            }
        }
        return at;
    }

    /** Waits for every resuming client to be back and caught up (at most the drain time), then reports them. */
    private void resumeReport(Report report) throws InterruptedException {
        int[] sent = new int[sendersN];
        for (Sender s : senders) {
            sent[s.slot] = s.seq;
        }
        Map<String, boolean[]> inRoom = new LinkedHashMap<>();
        for (Resumer r : resumers) {
            inRoom.computeIfAbsent(r.room, room -> {
                boolean[] b = new boolean[sendersN];
                for (int s = 0; s < sendersN; s++) {
                    b[s] = room.equals("bench-" + (s % roomsN));
                }
                return b;
            });
        }
        sampler.phase("resume drain");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(drainSeconds);
        while (System.nanoTime() < deadline) {
            boolean done = true;
            for (Resumer r : resumers) {
                if (!r.settled() || r.lost(sent, inRoom.get(r.room)) > 0) {
                    done = false;
                    break;
                }
            }
            if (done) {
                break;
            }
            Thread.sleep(20);
        }
        long drops = 0, resumes = 0, recoveredFalse = 0, resumedSessions = 0, failures = 0, lost = 0, dups = 0;
        long ooo = 0, unfinished = 0;
        Map<String, long[]> rooms = new LinkedHashMap<>();
        for (Resumer r : resumers) {
            r.stop();
            Resumer.Figures f = r.figures();
            long l = r.lost(sent, inRoom.get(r.room));
            drops += f.drops();
            resumes += f.resumes();
            recoveredFalse += f.recoveredFalse();
            resumedSessions += f.resumedSessions();
            failures += f.failures();
            dups += f.duplicates();
            ooo += f.outOfOrder();
            lost += l;
            unfinished += f.unfinished() ? 1 : 0;
            long[] perRoom = rooms.computeIfAbsent(r.room, k -> new long[2]);
            perRoom[0] += l;
            perRoom[1] += f.duplicates();
        }
        Histogram h = resumeLatency;
        boolean any = h.getTotalCount() > 0;
        report.put("resume_drops", drops);
        report.put("resumes", resumes);
        report.put("resume_recovered_false", recoveredFalse);
        report.put("resume_sessions_resumed_by_token", resumedSessions);
        report.put("resume_failed_attempts", failures);
        report.put("resume_unfinished", unfinished);
        report.put("resume_latency_p50_ms", any ? Sampler.ms(h.getValueAtPercentile(50)) : 0.0);
        report.put("resume_latency_p99_ms", any ? Sampler.ms(h.getValueAtPercentile(99)) : 0.0);
        report.put("resume_latency_max_ms", any ? Sampler.ms(h.getMaxValue()) : 0.0);
        report.put("resume_lost", lost);
        report.put("resume_duplicates", dups);
        report.put("resume_out_of_order", ooo);
        List<Map<String, Object>> bad = new ArrayList<>();
        for (Map.Entry<String, long[]> e : rooms.entrySet()) {
            if (e.getValue()[0] > 0 || e.getValue()[1] > 0) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("room", e.getKey());
                m.put("lost", e.getValue()[0]);
                m.put("duplicates", e.getValue()[1]);
                bad.add(m);
            }
        }
        report.put("resume_rooms_with_loss_or_duplicates", bad);
        System.out.printf(Locale.ROOT, "== resume: %d clients, %d drops, %d resumes (%d by token), recovered:false %d, "
                        + "latency p50 %.2f p99 %.2f max %.2f ms, lost %d, duplicated %d, out-of-order %d, "
                        + "failed attempts %d, unfinished %d%n", resumers.size(), drops, resumes, resumedSessions,
                recoveredFalse, (Double) report.get("resume_latency_p50_ms"),
                (Double) report.get("resume_latency_p99_ms"), (Double) report.get("resume_latency_max_ms"), lost,
                dups, ooo, failures, unfinished);
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
        long[] acks0 = sampler.ackTotals();
        long[] sent0 = new long[sendersN];
        for (Sender s : senders) {
            sent0[s.slot] = s.sent.get();
        }
        sampler.resetPhase();
        double serverCpu0 = probe.cpuSeconds();
        double benchCpu0 = Sampler.ownCpuSeconds();
        Map<String, Double> processCpu0 = processCpu();
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
        if (!"warmup".equals(name)) {
            long every = (long) (o.resumeEvery * 1e9);
            for (int j = 0; j < resumers.size(); j++) {
                resumers.get(j).dropBetween(start + every * j / resumers.size(), every, end);
            }
        }
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
        Map<String, Double> processCpu = processCpu();
        processCpu.replaceAll((label, cpu1) -> {
            Double cpu0 = processCpu0.get(label);
            return cpu1 < 0 || cpu0 == null || cpu0 < 0 ? -1.0 : cpu1 - cpu0;
        });
        sampler.sample();
        Sampler.Totals t1 = sampler.totals();
        if (churning) {
            churnFailures = t1.failed() - t0.failed();
        }
        long received = t1.unique() - t0.unique();
        long lost = Math.max(0, expected - received);
        long dups = t1.duplicates() - t0.duplicates();
        long ooo = t1.outOfOrder() - t0.outOfOrder();
        long[] acks1 = sampler.ackTotals();
        Histogram ah = sampler.phaseAck();
        boolean anyAck = ah.getTotalCount() > 0;
        Histogram h = sampler.phaseLatency();
        boolean any = h.getTotalCount() > 0;
        double p99 = any ? Sampler.ms(h.getValueAtPercentile(99)) : 0;
        double window = windowNanos / 1e9;
        double achieved = receivedInWindow / window;
        long deliveries = t1.deliveries() - t0.deliveries();
        boolean sustainable = lost == 0 && dups == 0 && any && p99 <= p99LimitMs
                && achieved >= 0.9 * deliveriesPerSec && acks1[1] == acks0[1];
        Step s = new Step(name, deliveriesPerSec, sent / window, window, sent, expected, received, lost, dups, ooo,
                achieved, any ? Sampler.ms(h.getValueAtPercentile(50)) : 0,
                any ? Sampler.ms(h.getValueAtPercentile(90)) : 0, p99,
                any ? Sampler.ms(h.getValueAtPercentile(99.9)) : 0, any ? Sampler.ms(h.getMaxValue()) : 0,
                serverCpu0 >= 0 && deliveries > 0 ? (serverCpu1 - serverCpu0) * 1e6 / deliveries : -1,
                benchCpu0 >= 0 && deliveries > 0 ? (benchCpu1 - benchCpu0) * 1e6 / deliveries : -1,
                probe.rssBytes(), sustainable, acks1[0] - acks0[0], acks1[1] - acks0[1],
                anyAck ? Sampler.ms(ah.getValueAtPercentile(50)) : 0, anyAck ? Sampler.ms(ah.getValueAtPercentile(99)) : 0,
                anyAck ? Sampler.ms(ah.getMaxValue()) : 0, processCpu, deliveries);
        System.out.printf(Locale.ROOT, "== %s: offered %,.0f deliveries/s, got %,.0f/s, p50 %.2f p99 %.2f p99.9 %.2f "
                        + "max %.2f ms, lost %d, dup %d, out-of-order %d, server %.2f us/delivery, bench %.2f us/delivery"
                        + " -> %s%n", name, deliveriesPerSec, achieved, s.p50(), s.p99(), s.p999(), s.max(), lost, dups,
                ooo, s.serverCpuUsPerDelivery(), s.benchCpuUsPerDelivery(), sustainable ? "ok" : "NOT sustainable");
        if (clients.acks) {
            System.out.printf(Locale.ROOT, "== %s: %,d acks (%,.0f stored messages/s), %,d refused (unavailable), "
                            + "send to ack p50 %.2f p99 %.2f max %.2f ms%n", name, s.acks(), s.acks() / window,
                    s.refused(), s.ackP50(), s.ackP99(), s.ackMax());
        }
        return s;
    }

    /** The CPU seconds of every {@code --cpu-pid} process now, by label; -1 for one that cannot be read. */
    private Map<String, Double> processCpu() {
        Map<String, Double> m = new LinkedHashMap<>();
        for (Map.Entry<String, Long> e : o.cpuPids.entrySet()) {
            m.put(e.getKey(), ServerProbe.cpuSeconds(e.getValue()));
        }
        return m;
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
        if (s.acks() > 0 || s.refused() > 0) {
            m.put("acks", s.acks());
            m.put("acks_per_sec", Math.round(s.acks() / s.seconds()));
            m.put("refused_unavailable", s.refused());
            m.put("ack_p50_ms", s.ackP50());
            m.put("ack_p99_ms", s.ackP99());
            m.put("ack_max_ms", s.ackMax());
        }
        m.put("max_ms", s.max());
        m.put("server_cpu_us_per_delivery", s.serverCpuUsPerDelivery());
        m.put("bench_cpu_us_per_delivery", s.benchCpuUsPerDelivery());
        m.put("server_rss_bytes", s.serverRssBytes());
        if (!s.processCpuSeconds().isEmpty()) {
            // per delivery as the server's and the bench's figures: every delivery from the step's start to its drain
            long deliveries = s.deliveries();
            Map<String, Object> cpu = new LinkedHashMap<>();
            Map<String, Object> perDelivery = new LinkedHashMap<>();
            for (Map.Entry<String, Double> e : s.processCpuSeconds().entrySet()) {
                cpu.put(e.getKey(), e.getValue());
                perDelivery.put(e.getKey(), e.getValue() >= 0 && deliveries > 0 ? e.getValue() * 1e6 / deliveries : -1.0);
            }
            m.put("process_cpu_seconds", cpu);
            m.put("process_cpu_us_per_delivery", perDelivery);
        }
        m.put("sustainable", s.sustainable());
        return m;
    }
}
