package dev.wschat.server;

import java.time.Duration;

/**
 * The Autobahn|Testsuite target for section 9 (performance: messages up to 16 MiB, many small ones):
 * the same pipeline as {@link AutobahnEchoServer} with the message and queue limits raised to fit.
 */
public final class AutobahnPerformanceServer {
    private AutobahnPerformanceServer() {
    }

    /** Longest section 9 may take (about 5 minutes on an idle 2-core machine). */
    static final Duration PERFORMANCE_DEADLINE = Duration.ofMinutes(30);

    /**
     * Serves the fuzzing client with raised limits until it has finished.
     *
     * @param args the port
     * @throws InterruptedException when interrupted while binding
     */
    public static void main(String[] args) throws InterruptedException {
        AutobahnEchoServer.serveUntilTheClientEnds(Integer.parseInt(args[0]), PERFORMANCE_DEADLINE,
                "--max-message-bytes", Integer.toString(32 * 1024 * 1024),
                "--max-queued-bytes", Integer.toString(128 * 1024 * 1024),
                "--handshake-timeout", Long.toString(Duration.ofSeconds(60).toMillis()));
    }
}
