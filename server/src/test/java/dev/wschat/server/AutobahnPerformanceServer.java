package dev.wschat.server;

import java.time.Duration;

/**
 * The Autobahn|Testsuite target for section 9 (performance: messages up to 16 MiB, many small ones):
 * the same pipeline as {@link AutobahnEchoServer} with the message and queue limits raised to fit.
 */
public final class AutobahnPerformanceServer {
    private AutobahnPerformanceServer() {
    }

    /**
     * Starts the echo server with raised limits and returns once it listens.
     *
     * @param args the port
     * @throws InterruptedException when interrupted while binding
     */
    public static void main(String[] args) throws InterruptedException {
        AutobahnEchoServer.start(Integer.parseInt(args[0]), AutobahnEchoServer.defaults().toBuilder()
                .maxMessageBytes(32 * 1024 * 1024)
                .maxQueuedBytes(128 * 1024 * 1024)
                .handshakeTimeout(Duration.ofSeconds(60))
                .build());
    }
}
