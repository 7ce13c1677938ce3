package dev.wschat.bench;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/** The load generator's entry point: {@code java -jar wschat-bench.jar SCENARIO [options]}. */
public final class Bench {
    private static final Set<String> COMMON = Set.of("url", "dialect", "threads", "transport", "source-addresses", "server-pid",
            "metrics-url", "out", "name", "quiet");
    private static final Set<String> FANOUT = Set.of("clients", "rooms", "senders", "rate", "size", "duration",
            "warmup", "p99-limit-ms", "drain-seconds", "connect-rate", "max-pending", "setup-timeout",
            "settle-timeout", "start", "factor", "max", "step-seconds", "max-steps", "churn-rate", "hold-ms");
    private static final Set<String> CONNECTIONS = Set.of("connections", "rate", "max-pending", "timeout", "hold");

    static final String USAGE = """
            Usage: java -jar bench/target/wschat-bench.jar SCENARIO [--option value ...]

            Scenarios:
              connections  open N connections at a rate and hold them; connect rate, handshake latency,
                           failures, server memory per connection
              fanout       N clients in R rooms, S senders at a fixed rate; end-to-end latency from the send
                           timestamp in each message, deliveries/s, lost/duplicated/out-of-order deliveries
              ramp         fanout with the rate stepped up until p99 passes the limit or anything is lost;
                           reports the highest sustainable step (the saturation point)
              churn        fanout at a fixed rate while other clients connect and disconnect at a rate
              compare      compare BASELINE.json CANDIDATE.json: prints the ratio table of two results

            Common options:
              --url ws://127.0.0.1:8080/   server to load (loopback only)
              --dialect 2                  2 = wschat.v2 subprotocol, 1 = the tutorial's protocol (no rooms)
              --threads 2                  client event-loop threads
              --transport auto             io_uring, epoll or nio; auto = the first of them available here
              --source-addresses 1         spread connections over 127.0.0.2 .. 127.0.0.(1+K)
              --server-pid PID             read the server's CPU time and resident memory from /proc/PID
              --metrics-url URL            read heap and direct memory from the server's /metrics
              --out bench-results          directory for NAME.json and NAME.html
              --name SCENARIO              file name of the result (default: the scenario)
              --quiet 0                    1 = no progress lines

            connections:
              --connections 1000  --rate 2000 (per second; 0 = as fast as --max-pending allows)
              --max-pending 1000 (handshakes in flight)  --timeout 300 (s)  --hold 5 (s before memory is read)

            fanout / ramp / churn:
              --clients 1000  --rooms 1  --senders 10  --size 64 (content bytes)
              --rate 50000 (deliveries/s, fanout and churn)  --duration 10 (s)  --warmup 5 (s)
              --p99-limit-ms 100  --drain-seconds 5 (wait for late deliveries; later ones count as lost)
              --connect-rate 5000  --max-pending 500  --setup-timeout 300  --settle-timeout 120
              ramp:  --start 20000 (deliveries/s)  --factor 1.25  --max 2000000  --step-seconds 5  --max-steps 30
              churn: --churn-rate 100 (connections/s opened and closed)  --hold-ms 500 (each churner's life)

            Every run is bounded: durations, step counts and timeouts above; the open-file limit is checked
            before connecting.
            """;

    private Bench() {
    }

    /**
     * Runs a scenario.
     *
     * @param args the scenario and its options
     */
    public static void main(String[] args) {
        if (args.length == 0 || "--help".equals(args[0]) || "-h".equals(args[0]) || "help".equals(args[0])) {
            System.out.print(USAGE);
            return;
        }
        try {
            System.exit(run(args));
        } catch (IllegalArgumentException e) {
            System.err.println("wschat-bench: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            System.err.println("wschat-bench: failed: " + e);
            e.printStackTrace(System.err);
            System.exit(1);
        }
    }

    /** Runs a scenario; returns the exit status (0 when the result was written). */
    static int run(String[] args) throws Exception {
        String scenario = args[0];
        if ("compare".equals(scenario)) {
            return Compare.run(args);
        }
        Report report;
        Options o;
        switch (scenario) {
            case "connections" -> {
                o = new Options(args, 1, union(COMMON, CONNECTIONS));
                report = new Connections(o).run();
            }
            case "fanout", "ramp", "churn" -> {
                o = new Options(args, 1, union(COMMON, FANOUT));
                report = new Fanout(o, scenario).run();
            }
            default -> throw new IllegalArgumentException("unknown scenario '" + scenario + "' (see --help)");
        }
        report.write(Path.of(o.string("out", "bench-results")), o.string("name", scenario));
        return 0;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        java.util.HashSet<String> s = new java.util.HashSet<>(a);
        s.addAll(b);
        return s;
    }

    static URI url(Options o) {
        URI u = URI.create(o.string("url", "ws://127.0.0.1:8080/"));
        if (!"ws".equals(u.getScheme()) || u.getHost() == null) {
            throw new IllegalArgumentException("--url must be ws://HOST:PORT/PATH: " + u);
        }
        if (!u.getHost().startsWith("127.") && !u.getHost().equals("localhost")) {
            throw new IllegalArgumentException("--url must be a loopback address (127.0.0.0/8): " + u.getHost());
        }
        return u;
    }

    /**
     * Says, before connecting, when this process's or the server's open-file limit stops the run short of
     * what was asked; returns how many connections this process can open.
     */
    static int checkFdLimit(int asked, ServerProbe probe) {
        final int reserve = 200;
        long own = ServerProbe.ownFdLimit();
        int n = asked;
        if (own > 0 && own != Long.MAX_VALUE && asked + reserve > own) {
            n = (int) Math.max(0, own - reserve);
            System.out.printf(Locale.ROOT, "WARNING: this process's open-file limit is %d: it can hold about %d "
                    + "connections, not the %d asked. Opening %d; run several bench processes to go further.%n",
                    own, n, asked, n);
        }
        long server = probe.fdLimit();
        if (server > 0 && server != Long.MAX_VALUE && asked + 100 > server) {
            System.out.printf(Locale.ROOT, "WARNING: the server's open-file limit is %d: it will refuse connections "
                    + "past about %d, short of the %d asked.%n", server, server - 100, asked);
        }
        return n;
    }
}
