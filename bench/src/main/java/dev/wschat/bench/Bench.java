package dev.wschat.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

/** The load generator's entry point: {@code java -jar wschat-bench.jar SCENARIO [options]}. */
@Command(name = "wschat-bench", mixinStandardHelpOptions = true, versionProvider = Bench.Version.class,
        synopsisSubcommandLabel = "SCENARIO",
        description = "Loads a wschat (or tutorial) server on loopback and reports latency, throughput, loss and "
                + "memory. Every run is bounded: durations, step counts and timeouts; the open-file limit is "
                + "checked before connecting.",
        subcommands = {Bench.ConnectionsCommand.class, Bench.FanoutCommand.class, Bench.RampCommand.class,
                Bench.ChurnCommand.class, Bench.StormCommand.class, Bench.CompareCommand.class})
public final class Bench implements Runnable {
    @Spec
    CommandSpec spec;

    /**
     * Runs a scenario.
     *
     * @param args the scenario and its options
     */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a scenario; returns the exit status (0 when the result was written, 2 for a bad option). */
    static int run(String... args) {
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Bench());
        // "1_000" and "1,000" read as 1000, as in the result tables
        cl.registerConverter(Integer.class, v -> Integer.valueOf(digits(v)));
        cl.registerConverter(int.class, v -> Integer.valueOf(digits(v)));
        cl.registerConverter(Long.class, v -> Long.valueOf(digits(v)));
        cl.registerConverter(long.class, v -> Long.valueOf(digits(v)));
        cl.registerConverter(Double.class, v -> Double.valueOf(digits(v)));
        cl.registerConverter(double.class, v -> Double.valueOf(digits(v)));
        // scripts put their defaults first and the caller's options after: the later one wins
        cl.setOverwrittenOptionsAllowed(true);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException) {
                commandLine.getErr().println("wschat-bench: " + e.getMessage());
                return 2;
            }
            commandLine.getErr().println("wschat-bench: failed: " + e);
            e.printStackTrace(commandLine.getErr());
            return 1;
        });
        return cl;
    }

    private static String digits(String v) {
        return v.replace("_", "").replace(",", "");
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Every option's effective value, by name without the dashes: what the result file records as "options". */
    static Map<String, Object> effective(CommandSpec spec) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (OptionSpec o : spec.options()) {
            if (o.usageHelp() || o.versionHelp()) {
                continue;
            }
            Object v = o.getValue();
            m.put(o.longestName().replaceFirst("^-+", ""), v == null ? null : String.valueOf(v));
        }
        return m;
    }

    static Path write(Report report, CommonOptions common, String scenario) throws IOException {
        return report.write(Path.of(common.out), common.name != null ? common.name : scenario);
    }

    /** {@code connections}: opens N connections at a rate and holds them. */
    @Command(name = "connections", mixinStandardHelpOptions = true, versionProvider = Bench.Version.class,
            description = "Open N connections at a rate and hold them: connect rate, handshake latency, failures, "
                    + "server memory per connection.")
    static final class ConnectionsCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        CommonOptions common;

        @Option(names = "--connections", defaultValue = "1000", paramLabel = "N",
                description = "connections to open (default: ${DEFAULT-VALUE})")
        int connections;

        @Option(names = "--rate", defaultValue = "2000", paramLabel = "PER_SEC",
                description = "connections per second; 0 = as fast as --max-pending allows (default: ${DEFAULT-VALUE})")
        double rate;

        @Option(names = "--max-pending", defaultValue = "1000", paramLabel = "N",
                description = "handshakes in flight (default: ${DEFAULT-VALUE})")
        int maxPending;

        @Option(names = "--timeout", defaultValue = "300", paramLabel = "S",
                description = "seconds for all to connect (default: ${DEFAULT-VALUE})")
        int timeout;

        @Option(names = "--hold", defaultValue = "5", paramLabel = "S",
                description = "seconds held before memory is read (default: ${DEFAULT-VALUE})")
        int hold;

        @Override
        public Integer call() throws Exception {
            write(new Connections(this).run(effective(spec)), common, "connections");
            return 0;
        }
    }

    /** The fan-out scenarios share one implementation; each names itself. */
    abstract static class LoadCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        CommonOptions common;
        @Mixin
        LoadOptions load;

        @Override
        public Integer call() throws Exception {
            String scenario = spec.name();
            write(new Fanout(common, load, scenario).run(effective(spec)), common, scenario);
            return 0;
        }
    }

    /** {@code fanout}: a fixed rate. */
    @Command(name = "fanout", mixinStandardHelpOptions = true, versionProvider = Bench.Version.class,
            description = "N clients in R rooms, S senders at a fixed rate: end-to-end latency from the send "
                    + "timestamp in each message, deliveries/s, lost, duplicated and out-of-order deliveries.")
    static final class FanoutCommand extends LoadCommand {
    }

    /** {@code ramp}: the rate stepped up to saturation. */
    @Command(name = "ramp", mixinStandardHelpOptions = true, versionProvider = Bench.Version.class,
            description = "fanout with the rate stepped up until p99 passes the limit or anything is lost; reports "
                    + "the highest sustainable step (the saturation point).")
    static final class RampCommand extends LoadCommand {
    }

    /** {@code churn}: a fixed rate while other clients come and go. */
    @Command(name = "churn", mixinStandardHelpOptions = true, versionProvider = Bench.Version.class,
            description = "fanout at a fixed rate while other clients connect and disconnect at --churn-rate.")
    static final class ChurnCommand extends LoadCommand {
    }

    /** {@code storm}: every connection drops at once and comes back. */
    @Command(name = "storm", mixinStandardHelpOptions = true, versionProvider = Bench.Version.class,
            description = "N clients in R rooms (K each), S senders chatting; after the warm-up every connection drops "
                    + "at once (blip: the bench resets its sockets; restart: --restart-cmd restarts the server) and every "
                    + "client reconnects as the browser client does (backoff with jitter, Retry-After), resumes and "
                    + "catches up its rooms, senders resending what was not acknowledged. Reports time until each "
                    + "client is back, handshakes/s, failed attempts by cause, recovered:false, lost and duplicated "
                    + "messages (against the acknowledged ones), server CPU and memory over time.")
    static final class StormCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        CommonOptions common;

        @Mixin
        StormOptions storm;

        @Override
        public Integer call() throws Exception {
            write(new Storm(common, storm).run(effective(spec)), common, "storm");
            return 0;
        }
    }

    /** {@code compare}: the ratio table of result pairs. */
    @Command(name = "compare", mixinStandardHelpOptions = true, versionProvider = Bench.Version.class,
            description = "Print the figures of result pairs side by side with their ratio.")
    static final class CompareCommand implements Callable<Integer> {
        @Parameters(arity = "2..*", paramLabel = "BASELINE.json CANDIDATE.json",
                description = "pairs of result files: baseline, then candidate")
        List<Path> files;

        @Override
        public Integer call() throws IOException {
            if (files.size() % 2 != 0) {
                throw new IllegalArgumentException("compare takes pairs: BASELINE.json CANDIDATE.json [...]");
            }
            Compare.run(files, System.out);
            return 0;
        }
    }

    /** The version Maven wrote into the JAR. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            try (InputStream in = Bench.class.getResourceAsStream(
                    "/META-INF/maven/dev.wschat/wschat-bench/pom.properties")) {
                if (in == null) {
                    return new String[] {"wschat-bench (version unknown: not run from the built JAR)"};
                }
                Properties p = new Properties();
                p.load(in);
                return new String[] {"wschat-bench " + p.getProperty("version", "unknown")};
            }
        }
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
