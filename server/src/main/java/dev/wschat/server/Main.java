package dev.wschat.server;

import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.Optional;

/**
 * The JAR's entry point: reads the configuration, picks the log layout, then runs {@link ChatServer}. A class of
 * its own because the log layout must be chosen before the first Log4j2 logger exists, and {@code ChatServer}
 * creates one as it loads.
 */
public final class Main {
    private static final String RECYCLER_PROPERTY = "io.netty.recycler.maxCapacityPerThread";
    private static final String LOG4J_CONFIGURATION = "log4j2.configurationFile";
    /** The shipped Log4j2 configuration for {@code --log-format json}, beside the default {@code log4j2.xml}. */
    static final String JSON_LOG_CONFIGURATION = "log4j2-json.xml";
    /** The exit code for a bad option or value, as for most command-line tools. */
    static final int USAGE_EXIT_CODE = 2;

    private Main() {
    }

    /**
     * Runs the server until SIGTERM or SIGINT, then drains and exits 0; a bad option exits 2 with a message.
     *
     * @param args command-line options; {@code --help} lists them
     */
    public static void main(String[] args) {
        // Before any Netty class loads: no object pool for Netty's per-write entries. Pooled entries live in
        // the old generation and point at each new frame, so every delivery dirtied a card for G1 to refine;
        // measured with the bench (docs/benchmarks.md): 8 % less server CPU per delivery at 200,000/s without.
        // -Dio.netty.recycler.maxCapacityPerThread=N on the command line still wins.
        if (System.getProperty(RECYCLER_PROPERTY) == null) {
            System.setProperty(RECYCLER_PROPERTY, "0");
        }
        Optional<ServerConfig> config;
        try {
            config = ServerConfig.load(args, System.getenv(), new PrintWriter(System.out, true, Charset.defaultCharset()));
        } catch (IllegalArgumentException e) {
            System.err.println("wschat: " + e.getMessage());
            System.exit(USAGE_EXIT_CODE);
            return;
        }
        if (config.isEmpty()) {
            return;
        }
        // -Dlog4j2.configurationFile=... on the command line still wins.
        if (config.get().logFormat() == LogFormat.JSON && System.getProperty(LOG4J_CONFIGURATION) == null) {
            System.setProperty(LOG4J_CONFIGURATION, JSON_LOG_CONFIGURATION);
        }
        ChatServer.run(config.get());
    }
}
