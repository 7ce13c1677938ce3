package dev.wschat.server.testing;

import dev.wschat.server.ChatServer;
import dev.wschat.server.ServerConfig;
import dev.wschat.server.metrics.ServerMetrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;

import static org.awaitility.Awaitility.await;

/**
 * The one running-server fixture of the tests: a real {@link ChatServer} on 127.0.0.1, port 0, built from
 * command-line options by {@link ServerConfig#parse}; {@link #close()} closes every client it opened, then
 * stops the server.
 */
public final class RunningServer implements AutoCloseable {
    private final ChatServer server;
    private final ServerConfig config;
    private final String scheme;
    private final Deque<AutoCloseable> opened = new ConcurrentLinkedDeque<>();

    private RunningServer(ChatServer server, ServerConfig config) {
        this.server = server;
        this.config = config;
        this.scheme = config.tlsEnabled() ? "s" : "";
    }

    /** A new, empty directory for a server's history. */
    public static Path freshDataDir() {
        try {
            return Files.createTempDirectory("wschat-test-");
        } catch (IOException e) {
            throw new UncheckedIOException("creating a data directory", e);
        }
    }

    /**
     * Starts a server on 127.0.0.1, port 0, with a 2 s drain, and the given options on top.
     *
     * @param options command-line options, e.g. {@code "--max-rooms", "3"}; they win over the defaults here
     * @return the started server
     */
    public static RunningServer start(String... options) {
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", "0", "--drain-timeout", "2000",
                "--data-dir", freshDataDir().toString()));
        args.addAll(List.of(options));
        ServerConfig config = ServerConfig.parse(args.toArray(String[]::new));
        try {
            return new RunningServer(new ChatServer(config).start(), config);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the server", e);
        }
    }

    /** The server, for what only it can tell (its sessions, its transport). */
    public ChatServer server() {
        return server;
    }

    /** The port it listens on. */
    public int port() {
        return server.port();
    }

    /** {@code ws://127.0.0.1:port} (or {@code wss://localhost:port} with TLS) followed by {@code pathAndQuery}. */
    public URI ws(String pathAndQuery) {
        return URI.create("ws" + scheme + "://" + host() + ":" + port() + pathAndQuery);
    }

    /** {@code http://127.0.0.1:port} (or {@code https://localhost:port} with TLS): where paths are appended. */
    public String base() {
        return "http" + scheme + "://" + host() + ":" + port();
    }

    private String host() {
        // The test certificate names localhost and 127.0.0.1; the JDK verifies hostnames by DNS name.
        return scheme.isEmpty() ? "127.0.0.1" : "localhost";
    }

    /**
     * Connects a v2 client to {@code /ws} and reads its welcome and the lobby's join answer (presence, then history
     * unless {@code --history-on-join 0}); it closes with the server. Once this returns, a message sent to the lobby
     * reaches the client live: before the history, it could be in the history instead.
     */
    public TestClient v2() {
        TestClient c = closeLater(TestClient.v2(ws("/ws")));
        c.welcome();
        c.nextOfType("presence");
        if (config.historyOnJoin() > 0) {
            c.nextOfType("history");
        }
        return c;
    }

    /** Connects a tutorial-dialect client to {@code /} without reading anything; it closes with the server. */
    public TestClient tutorial() {
        return closeLater(TestClient.tutorial(ws("/")));
    }

    /** Connects a v2 client to {@code /ws} without reading anything; it closes with the server. */
    public TestClient connect() {
        return closeLater(TestClient.v2(ws("/ws")));
    }

    /** Connects {@code connect} (made with {@link TestClient#to}); the client closes with the server. */
    public TestClient connect(TestClient.Connect connect) {
        return closeLater(connect.connect());
    }

    /** The HTTP status a v2 handshake to {@code /ws} gets now: 101 when it opened (it is closed again). */
    public int handshakeStatus() {
        return TestClient.to(ws("/ws")).subprotocol(TestClient.V2).handshakeStatus();
    }

    /** Opens a raw-frame client with subprotocol {@code wschat.v2}; it closes with the server. */
    public RawWebSocket raw() throws IOException {
        return closeLater(RawWebSocket.connect(port()));
    }

    /** Closes {@code resource} (a client, a socket) before the server stops. */
    public <T extends AutoCloseable> T closeLater(T resource) {
        opened.push(resource);
        return resource;
    }

    /** GET a path over plain HTTP. */
    public HttpResponse<String> get(String path) throws IOException {
        return Http.get(URI.create(base() + path));
    }

    /** GET a path through {@code http} (one trusting the test certificate, for TLS). */
    public HttpResponse<String> get(HttpClient http, String path) throws IOException {
        return Http.get(http, URI.create(base() + path));
    }

    /** One sample of {@code /metrics} over plain HTTP, e.g. {@code wschat_connections}. */
    public double metric(String sample) {
        return Http.metric(HttpClient.newHttpClient(), base(), sample);
    }

    /** The value of {@code wschat_rejections_total{reason=...}} as scraped from {@code GET /metrics}. */
    public double rejections(ServerMetrics.Reason reason) {
        return metric("wschat_rejections_total{reason=\"" + reason.tag() + "\"}");
    }

    /** Waits until the rejection counter reaches {@code atLeast} and returns it; fails after the client timeout. */
    public double awaitRejections(ServerMetrics.Reason reason, double atLeast) {
        return await().atMost(TestClient.TIMEOUT).until(() -> rejections(reason), value -> value >= atLeast);
    }

    @Override
    public void close() {
        AutoCloseable resource;
        while ((resource = opened.poll()) != null) {
            try {
                resource.close();
            } catch (Exception e) {
                // already closed by the test or by the server: nothing left to release
            }
        }
        server.stop();
    }
}
