package dev.wschat.bench;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import org.HdrHistogram.Histogram;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code storm} scenario: N clients in R rooms (K rooms each), S of them chatting; after a warm-up every
 * connection drops at once — the bench resets its own sockets ({@code blip}) or runs a command that restarts the
 * server ({@code restart}) — and every client comes back as the browser client does ({@link StormClient}).
 * Reported: how long until each client was back and caught up, handshakes per second, failed attempts by cause,
 * {@code recovered:false} answers, messages lost or duplicated per client per room against the acknowledged ones,
 * and the server's CPU and resident memory over time (its pid re-read after a restart).
 */
final class Storm {
    private final CommonOptions common;
    private final StormOptions o;
    private final Backoff backoff;
    private Clients clients;
    private Population pop;
    private Sampler sampler;
    private ServerWatch watch;
    /** The server's samples, once a second: see {@link #sleepSampling}. */
    private final List<double[]> series = new ArrayList<>();
    private long runStart;
    private final List<StormClient> all = new ArrayList<>();
    private final Map<String, Set<Long>> acked = new ConcurrentHashMap<>();
    private final AtomicInteger up = new AtomicInteger();
    private final AtomicLong attempts = new AtomicLong();
    private final AtomicLong recoveredFalse = new AtomicLong();
    private final AtomicLong storedTwice = new AtomicLong();
    private final Map<StormClient.Failure, AtomicLong> failures = new EnumMap<>(StormClient.Failure.class);
    private final Map<String, Long> recoveredFalseRooms = new ConcurrentHashMap<>();

    Storm(CommonOptions common, StormOptions o) {
        this.common = common;
        this.o = o;
        this.backoff = new Backoff(o.backoffBaseMs, o.backoffMaxMs);
        for (StormClient.Failure f : StormClient.Failure.values()) {
            failures.put(f, new AtomicLong());
        }
    }

    Clients clients() {
        return clients;
    }

    Population population() {
        return pop;
    }

    Backoff backoff() {
        return backoff;
    }

    long attemptTimeoutNanos() {
        return TimeUnit.MILLISECONDS.toNanos(o.attemptTimeoutMs);
    }

    boolean oneMessageResume() {
        return "resume".equals(o.catchUp);
    }

    void back(StormClient c) {
        up.incrementAndGet();
    }

    void down(StormClient c) {
        up.decrementAndGet();
    }

    void attempt() {
        attempts.incrementAndGet();
    }

    void failure(StormClient.Failure f) {
        failures.get(f).incrementAndGet();
    }

    void recoveredFalse(String room, long since) {
        recoveredFalse.incrementAndGet();
        recoveredFalseRooms.merge(room, 1L, Long::sum);
    }

    void acked(String room, long seq) {
        acked.computeIfAbsent(room, r -> ConcurrentHashMap.newKeySet()).add(seq);
    }

    void storedTwice() {
        storedTwice.incrementAndGet();
    }

    /**
     * Runs the scenario: connect, warm up, the storm, chat after it, drain, then the figures.
     *
     * @param options every option's effective value, for the report
     * @return the report
     */
    Report run(Map<String, Object> options) throws Exception {
        o.validate(common.dialect);
        URI first = common.uris().get(0);
        watch = new ServerWatch(first.getPort() > 0 ? first.getPort() : 80, common.serverPid, o.serverPidFile);
        Bench.checkFdLimit(o.clients, new ServerProbe(watch.pid(), null));
        Report report = new Report("storm", options);
        try (Clients c = new Clients(common.uris(), common.dialect, common.threads, common.sourceAddresses,
                common.transport)) {
            clients = c;
            pop = new Population(c);
            sampler = new Sampler(c, up::get, common.isQuiet());
            runStart = System.nanoTime();
            connect(report);
            List<ScheduledFuture<?>> timers = startSenders();
            sampler.phase("warmup");
            sampleFor(o.warmup);
            Outage outage = storm();
            sampler.phase("after");
            sampleFor(o.after);
            stopSenders(timers);
            drain();
            report(report, outage);
            sampler.phase("closing");
            closeAll();
        }
        return report;
    }

    /** The rooms of client {@code i}: K consecutive rooms of the ring, so each room has about N*K/R members. */
    private List<String> roomsOf(int i) {
        List<String> r = new ArrayList<>(o.roomsPerClient);
        for (int j = 0; j < o.roomsPerClient; j++) {
            r.add("storm-" + ((long) i * o.roomsPerClient + j) % o.rooms);
        }
        return r;
    }

    /** Opens every client, each set up in its rooms, at {@code --connect-rate}. */
    private void connect(Report report) throws InterruptedException {
        sampler.phase("connect");
        for (int i = 0; i < o.clients; i++) {
            all.add(new StormClient(this, i, roomsOf(i), i % clients.nodes(), i < o.senders ? i : -1));
        }
        double took = pop.open(o.clients, o.connectRate, o.maxPending, o.setupTimeout, i -> all.get(i).first(),
                sampler);
        if (pop.open() < o.clients) {
            throw new IllegalStateException("only " + pop.open() + " of " + o.clients + " clients connected and "
                    + "joined their rooms in " + String.format(Locale.ROOT, "%.1f s", took));
        }
        up.set(o.clients);
        report.put("clients", o.clients);
        report.put("rooms", o.rooms);
        report.put("rooms_per_client", o.roomsPerClient);
        report.put("members_per_room", (double) o.clients * o.roomsPerClient / o.rooms);
        report.put("senders", o.senders);
        report.put("mode", o.mode);
        report.put("connect_seconds", took);
    }

    /** Starts the senders' timers, spread evenly over one period, {@code --rate} messages a second in all. */
    private List<ScheduledFuture<?>> startSenders() {
        List<ScheduledFuture<?>> timers = new ArrayList<>();
        if (o.senders > 0 && o.rate > 0) {
            long period = Math.max(100_000, (long) (1e9 * o.senders / o.rate));
            for (int s = 0; s < o.senders; s++) {
                StormClient sc = all.get(s);
                timers.add(clients.scheduleAtFixedRate(sc::tick, period * s / o.senders, period));
            }
        }
        return timers;
    }

    /** Stops the senders, and waits until no tick is running on any loop. */
    private void stopSenders(List<ScheduledFuture<?>> timers) throws InterruptedException {
        for (ScheduledFuture<?> t : timers) {
            t.cancel(false);
        }
        clients.onEveryLoop(() -> { });
    }

    /** When the storm started and ended, when the server listened again, and what the restart command did. */
    private record Outage(long start, long end, long listeningAgain, Sampler.Totals before, Sampler.Totals after,
                          Integer restartExit, Path restartLog) {
    }

    /** Drops every connection at once ({@code --mode}) and waits for every client to be back, or the timeout. */
    private Outage storm() throws IOException, InterruptedException {
        sampler.phase("storm");
        Sampler.Totals before = sampler.totals();
        long start = System.nanoTime();
        watch.rememberListener();
        Process restart = null;
        Path restartLog = null;
        if (o.restarts()) {
            Files.createDirectories(Path.of(common.out));
            restartLog = Path.of(common.out, (common.name != null ? common.name : "storm") + "-restart.log");
            restart = new ProcessBuilder("/bin/sh", "-c", o.restartCmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(restartLog.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } else {
            for (StormClient sc : all) {
                sc.blip();
            }
        }
        long listeningAgain = awaitBack(start);
        long end = System.nanoTime();
        if (listeningAgain == 0 && watch.listeningAgain()) {
            listeningAgain = end;
        }
        Sampler.Totals after = sampler.totals();
        Integer restartExit = null;
        if (restart != null) {
            if (restart.waitFor(o.restartTimeout, TimeUnit.SECONDS)) {
                restartExit = restart.exitValue();
            } else {
                System.out.println("NOTE: --restart-cmd still running after " + o.restartTimeout + " s; left running");
            }
        }
        return new Outage(start, end, listeningAgain, before, after, restartExit, restartLog);
    }

    /**
     * Waits until every client is back after the storm that began at {@code start}, at most {@code --storm-timeout};
     * returns when the server listened again ({@code start} for a blip, 0 when not seen yet).
     */
    private long awaitBack(long start) throws InterruptedException {
        long deadline = start + TimeUnit.SECONDS.toNanos(o.stormTimeout);
        long listeningAgain = o.restarts() ? 0 : start;
        // the clients drop as the server goes away: wait for them to be counted down before counting them up
        long dropWait = start + TimeUnit.SECONDS.toNanos(Math.min(o.stormTimeout, 30));
        while (allBack(start) < o.clients && System.nanoTime() < deadline) {
            if (listeningAgain == 0 && watch.listeningAgain()) {
                listeningAgain = System.nanoTime();
                sampler.phase("storm: listening");
            }
            sleepSampling(20_000_000L);
            if (System.nanoTime() > dropWait && up.get() == o.clients && allBack(start) == 0) {
                break;
            }
        }
        return listeningAgain;
    }

    /** After the senders stopped: waits (at most {@code --drain-seconds}) for every ack and every delivery. */
    private void drain() throws InterruptedException {
        sampler.phase("drain");
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(o.drainSeconds);
        while (System.nanoTime() < end && (unacked() > 0 || lost(null) > 0)) {
            sleepSampling(50_000_000L);
        }
        sampler.sample();
    }

    /** The figures, into the report and one summary line. */
    private void report(Report report, Outage outage) {
        long notBack = reportBack(report, outage);
        long failed = reportAttempts(report, outage);
        long[] lostAndDuplicated = reportMessages(report);
        report.put("server_pids", watch.pids());
        report.put("transport", clients.transport);
        report.put("bench_threads", clients.loops());
        report.put("total_seconds", (System.nanoTime() - runStart) / 1e9);
        serverSeries(report, series);
        report.timeline(sampler.timeline());
        System.out.printf(Locale.ROOT, "== storm (%s): %d of %d clients back, p50 %.0f p99 %.0f max %.0f ms; "
                        + "%,.0f handshakes/s; failed attempts %d %s; recovered:false %d; lost %d, duplicated %d, "
                        + "unacked %d%n", o.mode, o.clients - notBack, o.clients, (Double) report.get("back_p50_ms"),
                (Double) report.get("back_p99_ms"), (Double) report.get("back_max_ms"),
                (Double) report.get("storm_handshakes_per_sec"), failed, report.get("failed_attempts_by_cause"),
                recoveredFalse.get(), lostAndDuplicated[0], lostAndDuplicated[1], unacked());
    }

    /** How long the clients took to be back, from the drop and (restart) from the server listening again. */
    private long reportBack(Report report, Outage outage) {
        Histogram back = new Histogram(1, LoopStats.MAX_MICROS, 3);
        Histogram sinceListening = new Histogram(1, LoopStats.MAX_MICROS, 3);
        long notBack = 0;
        long lastBack = 0;
        for (StormClient sc : all) {
            long ns = sc.backAfter(outage.start());
            if (ns < 0) {
                notBack++;
                continue;
            }
            lastBack = Math.max(lastBack, ns);
            back.recordValue(Math.max(1, Math.min(LoopStats.MAX_MICROS, ns / 1_000)));
            if (outage.listeningAgain() > 0) {
                long l = sc.backAfter(outage.listeningAgain());
                sinceListening.recordValue(Math.max(1, Math.min(LoopStats.MAX_MICROS, Math.max(0, l) / 1_000)));
            }
        }
        report.put("clients_back", o.clients - notBack);
        report.put("clients_not_back", notBack);
        report.put("back_p50_ms", ms(back, 50));
        report.put("back_p99_ms", ms(back, 99));
        report.put("back_max_ms", back.getTotalCount() > 0 ? Sampler.ms(back.getMaxValue()) : 0.0);
        report.put("last_client_back_ms", lastBack / 1e6);
        if (o.restarts()) {
            boolean listened = outage.listeningAgain() > 0;
            long listening = outage.listeningAgain() - outage.start();
            report.put("server_listening_again_ms", listened ? listening / 1e6 : -1.0);
            report.put("back_after_listening_p50_ms", ms(sinceListening, 50));
            report.put("back_after_listening_p99_ms", ms(sinceListening, 99));
            report.put("last_client_back_after_listening_ms", listened ? Math.max(0, lastBack - listening) / 1e6 : -1.0);
            report.put("restart_cmd_exit", outage.restartExit() == null ? "still running" : outage.restartExit());
            report.put("restart_log", String.valueOf(outage.restartLog()));
        }
        return notBack;
    }

    /** Handshakes during the storm, reconnect attempts and the failed ones by cause; returns the failed ones. */
    private long reportAttempts(Report report, Outage outage) {
        long clientAttempts = 0;
        long resumedByToken = 0;
        for (StormClient sc : all) {
            StormClient.Figures f = sc.figures();
            clientAttempts += f.attempts();
            resumedByToken += f.resumedSessions();
        }
        long handshakes = outage.after().opened() - outage.before().opened();
        report.put("storm_seconds", (outage.end() - outage.start()) / 1e9);
        report.put("storm_handshakes", handshakes);
        // from the moment the server listens again (restart) or the drop (blip) to the last client back
        double serving = (outage.end() - Math.max(outage.start(), outage.listeningAgain())) / 1e9;
        report.put("storm_handshakes_per_sec", serving > 0 ? handshakes / serving : 0.0);
        report.put("storm_handshakes_per_sec_best_second", bestHandshakeSecond(series));
        report.put("reconnect_attempts", clientAttempts);
        Map<String, Long> byCause = new LinkedHashMap<>();
        long failed = 0;
        for (Map.Entry<StormClient.Failure, AtomicLong> e : failures.entrySet()) {
            byCause.put(e.getKey().name().toLowerCase(Locale.ROOT), e.getValue().get());
            failed += e.getValue().get();
        }
        report.put("failed_attempts", failed);
        report.put("failed_attempts_by_cause", byCause);
        report.put("sessions_resumed_by_token", resumedByToken);
        report.put("recovered_false", recoveredFalse.get());
        report.put("recovered_false_rooms", new LinkedHashMap<>(recoveredFalseRooms));
        return failed;
    }

    /** Messages sent, acknowledged, lost and duplicated, per client and per room; returns {lost, duplicated}. */
    private long[] reportMessages(Report report) {
        Map<String, long[]> perRoom = new LinkedHashMap<>();
        long lost = lost(perRoom);
        long dups = 0;
        long sent = 0;
        long resent = 0;
        long clientsWithLoss = 0;
        for (StormClient sc : all) {
            StormClient.Figures f = sc.figures();
            dups += f.duplicates();
            sent += f.sent();
            resent += f.resent();
            if (sc.lost(acked, null) > 0 || f.duplicates() > 0) {
                clientsWithLoss++;
            }
        }
        long ackedTotal = 0;
        for (Set<Long> s : acked.values()) {
            ackedTotal += s.size();
        }
        report.put("messages_sent", sent);
        report.put("messages_resent", resent);
        report.put("messages_acked", ackedTotal);
        report.put("messages_unacked", unacked());
        report.put("messages_stored_twice", storedTwice.get());
        report.put("lost", lost);
        report.put("duplicates", dups);
        report.put("clients_with_loss_or_duplicates", clientsWithLoss);
        List<Map<String, Object>> bad = new ArrayList<>();
        for (Map.Entry<String, long[]> e : perRoom.entrySet()) {
            if ((e.getValue()[0] > 0 || e.getValue()[1] > 0) && bad.size() < 50) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("room", e.getKey());
                m.put("lost", e.getValue()[0]);
                m.put("duplicates", e.getValue()[1]);
                bad.add(m);
            }
        }
        report.put("rooms_with_loss_or_duplicates", bad);
        return new long[] {lost, dups};
    }

    /** Stops every client and closes its connection as a client that is done does. */
    private void closeAll() {
        List<Channel> channels = new ArrayList<>();
        for (StormClient sc : all) {
            Conn conn = sc.stop();
            if (conn != null && conn.channel != null) {
                channels.add(conn.channel);
            }
        }
        Clients.closeAll(channels, 10);
    }

    /** Samples (bench and server) once a second for {@code seconds}. */
    private void sampleFor(int seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            sleepSampling(Math.min(1_000_000_000L, end - System.nanoTime()));
        }
    }

    private long allBack(long stormStart) {
        long n = 0;
        for (StormClient sc : all) {
            if (sc.backAfter(stormStart) >= 0) {
                n++;
            }
        }
        return n;
    }

    private long unacked() {
        long n = 0;
        for (StormClient sc : all) {
            n += sc.unacked();
        }
        return n;
    }

    private long lost(Map<String, long[]> perRoom) {
        long n = 0;
        for (StormClient sc : all) {
            n += sc.lost(acked, perRoom);
        }
        return n;
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() > 0 ? Sampler.ms(h.getValueAtPercentile(percentile)) : 0.0;
    }

    private long lastSampleNanos;
    private double lastCpu = -1;
    private long lastCpuPid;
    private long lastOpened;
    private long lastFailed;

    /** Sleeps up to {@code nanos}, taking the once-a-second sample (bench and server) when it is due. */
    private void sleepSampling(long nanos) throws InterruptedException {
        if (nanos > 0) {
            TimeUnit.NANOSECONDS.sleep(nanos);
        }
        long now = System.nanoTime();
        if (now - lastSampleNanos < 1_000_000_000L) {
            return;
        }
        double dt = lastSampleNanos == 0 ? 1 : (now - lastSampleNanos) / 1e9;
        lastSampleNanos = now;
        sampler.sample();
        long pid = watch.pid();
        ServerProbe probe = new ServerProbe(pid, null);
        double cpu = probe.cpuSeconds();
        double cpuPercent = -1;
        if (cpu >= 0 && lastCpu >= 0 && pid == lastCpuPid) {
            cpuPercent = (cpu - lastCpu) / dt * 100;
        }
        lastCpu = cpu;
        lastCpuPid = pid;
        long failedNow = 0;
        for (AtomicLong a : failures.values()) {
            failedNow += a.get();
        }
        long opened = sampler.totals().opened();
        series.add(new double[] {Math.round((now - runStart) / 1e8) / 10.0, up.get(), (opened - lastOpened) / dt,
                (failedNow - lastFailed) / dt, cpuPercent, probe.rssBytes() / 1048576.0, pid});
        lastOpened = opened;
        lastFailed = failedNow;
    }

    private static double bestHandshakeSecond(List<double[]> series) {
        double best = 0;
        for (double[] s : series) {
            best = Math.max(best, s[2]);
        }
        return best;
    }

    /** The server's timeline (JSON and charts): clients back, handshakes/s, failed attempts/s, CPU %, RSS. */
    private static void serverSeries(Report report, List<double[]> series) {
        int n = series.size();
        double[] t = new double[n];
        double[][] cols = new double[6][n];
        List<Map<String, Object>> json = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double[] s = series.get(i);
            t[i] = s[0];
            for (int k = 0; k < 6; k++) {
                cols[k][i] = Math.max(0, s[k + 1]);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("t", s[0]);
            m.put("clients_up", (long) s[1]);
            m.put("handshakes_per_sec", Math.round(s[2]));
            m.put("failed_attempts_per_sec", Math.round(s[3]));
            m.put("server_cpu_percent", Math.round(s[4] * 10) / 10.0);
            m.put("server_rss_mib", Math.round(s[5] * 10) / 10.0);
            m.put("server_pid", (long) s[6]);
            json.add(m);
        }
        report.put("storm_timeline", json);
        report.chart("Clients up (connected, every room caught up)", t, new String[] {"clients up"}, cols[0]);
        report.chart("Handshakes and failed attempts per second", t,
                new String[] {"handshakes/s", "failed attempts/s"}, cols[1], cols[2]);
        report.chart("Server CPU (% of one core)", t, new String[] {"server CPU %"}, cols[3]);
        report.chart("Server resident memory (MiB)", t, new String[] {"server RSS MiB"}, cols[4]);
    }
}
