package dev.wschat.bench;

import dev.wschat.protocol.Limits;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code connections} scenario: opens N connections at a given rate and holds them; reports the
 * connect rate, handshake latency, failures and the server's memory per connection.
 */
final class Connections {
    private final Bench.ConnectionsCommand o;
    private final CommonOptions common;

    Connections(Bench.ConnectionsCommand o) {
        this.o = o;
        this.common = o.common;
    }

    Report run(Map<String, Object> options) throws Exception {
        int asked = o.connections;
        ServerProbe probe = new ServerProbe(common.serverPid, common.metricsUrl);
        int n = Bench.checkFdLimit(asked, probe);
        Report report = new Report("connections", options);
        report.put("connections_asked", asked);
        report.put("connections_attempted", n);
        probe.fullGc();
        long rss0 = probe.rssBytes();
        long[] jvm0 = probe.jvmMemory();
        long benchRss0 = ownRss();
        try (Clients clients = new Clients(common.uris(), common.dialect, common.threads, common.sourceAddresses,
                common.transport)) {
            Population pop = new Population(clients);
            Sampler sampler = new Sampler(clients, pop::open, common.isQuiet());
            sampler.phase("connect");
            sampler.resetPhase();
            double took = pop.open(n, o.rate, o.maxPending, o.timeout,
                    i -> new Conn(clients, pop, Limits.DEFAULT_ROOM, 0), sampler);
            sampler.sample();
            Histogram hs = sampler.phaseHandshake();
            int open = pop.open();
            Sampler.Totals t = sampler.totals();
            report.put("connections_open", open);
            report.put("failures", t.failed());
            report.put("connect_seconds", took);
            report.put("handshakes_per_sec", took > 0 ? open / took : 0);
            // the whole run includes both JVMs' JIT warm-up; the best second is the warmed rate
            report.put("handshakes_per_sec_best_second", sampler.bestOpenRate());
            if (hs.getTotalCount() > 0) {
                report.put("handshake_p50_ms", Sampler.ms(hs.getValueAtPercentile(50)));
                report.put("handshake_p90_ms", Sampler.ms(hs.getValueAtPercentile(90)));
                report.put("handshake_p99_ms", Sampler.ms(hs.getValueAtPercentile(99)));
                report.put("handshake_p999_ms", Sampler.ms(hs.getValueAtPercentile(99.9)));
                report.put("handshake_max_ms", Sampler.ms(hs.getMaxValue()));
            }
            sampler.phase("hold");
            int hold = o.hold;
            for (int i = 0; i < hold; i++) {
                Thread.sleep(1_000);
                sampler.sample();
            }
            report.put("frames_received_while_connecting_and_holding", sampler.totals().other());
            probe.fullGc();
            long rss1 = probe.rssBytes();
            long[] jvm1 = probe.jvmMemory();
            report.put("connections_open_at_measure", pop.open());
            int held = Math.max(1, pop.open());
            if (rss0 > 0 && rss1 > 0) {
                report.put("server_rss_before_bytes", rss0);
                report.put("server_rss_after_bytes", rss1);
                report.put("server_rss_per_connection_bytes", Report.perConnection("resident memory", rss0, rss1, held));
            }
            if (jvm0 != null && jvm1 != null) {
                report.put("server_heap_before_bytes", jvm0[0]);
                report.put("server_heap_after_bytes", jvm1[0]);
                report.put("server_heap_per_connection_bytes", Report.perConnection("heap", jvm0[0], jvm1[0], held));
                report.put("server_direct_buffers_before_bytes", jvm0[1]);
                report.put("server_direct_buffers_after_bytes", jvm1[1]);
                report.put("server_direct_per_connection_bytes",
                        Report.perConnection("direct memory", jvm0[1], jvm1[1], held));
            }
            long benchRss1 = ownRss();
            if (benchRss0 > 0 && benchRss1 > 0) {
                report.put("bench_rss_per_connection_bytes",
                        Report.perConnection("the bench's resident memory", benchRss0, benchRss1, held));
            }
            report.put("transport", clients.transport);
            report.put("bench_threads", clients.loops());
            report.timeline(sampler.timeline());
            System.out.printf(Locale.ROOT, "== %d of %d connections open (%d failed) in %.1f s: %.0f handshakes/s%n",
                    open, n, t.failed(), took, took > 0 ? open / took : 0);
            sampler.phase("closing");
            List<io.netty.channel.Channel> channels = new ArrayList<>();
            for (Conn c : pop.conns) {
                if (c.channel != null) {
                    channels.add(c.channel);
                }
            }
            Clients.closeAll(channels, 20);
        }
        return report;
    }

    static long ownRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
