package dev.wschat.server.testing;

import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.ChatServer;
import dev.wschat.server.ServerConfig;
import dev.wschat.server.metrics.ServerMetrics;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

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
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;

import static org.awaitility.Awaitility.await;

/**
 * The one running-server fixture of the tests: a real {@link ChatServer} on 127.0.0.1, port 0, built from
 * command-line options by {@link ServerConfig#parse}; {@link #close()} closes every client it opened, then
 * stops the server.
 *
 * <p>A test class declares the server it needs as a JUnit 5 extension, which stops it after each test:
 * {@code @RegisterExtension final RunningServer server = RunningServer.withOptions("--max-rooms", "3");} starts
 * it before each test, {@link #startedByEachTest} leaves the start (and the options that differ per test) to
 * the test. {@link #start} is for a server the test closes itself (try-with-resources, a cluster's nodes).
 */
public final class RunningServer implements AutoCloseable, BeforeEachCallback, AfterEachCallback {
    /** {@code --message-rate 0}: clients may send as fast as a test does (see {@link #noRateLimit}). */
    private static final List<String> NO_RATE_LIMIT = List.of("--message-rate", "0");

    private final List<String> fixtureOptions;
    private final boolean startBeforeEach;
    private final Deque<AutoCloseable> opened = new ConcurrentLinkedDeque<>();
    private volatile ChatServer server;
    private volatile ServerConfig config;
    private volatile boolean stopped;

    private RunningServer(List<String> fixtureOptions, boolean startBeforeEach) {
        this.fixtureOptions = fixtureOptions;
        this.startBeforeEach = startBeforeEach;
    }

    /**
     * A fixture that starts a server with {@code options} before each test and stops it after; declare it as a
     * {@code @RegisterExtension} field.
     *
     * @param options command-line options, e.g. {@code "--max-rooms", "3"}; they win over the defaults here
     * @return the fixture, not yet started
     */
    public static RunningServer withOptions(String... options) {
        return new RunningServer(List.of(options), true);
    }

    /**
     * A fixture whose test starts the server itself with {@link #startWith} (its options differ per test); it is
     * stopped after the test. Declare it as a {@code @RegisterExtension} field.
     *
     * @param common options every test of the class gets, before its own
     * @return the fixture, not yet started
     */
    public static RunningServer startedByEachTest(String... common) {
        return new RunningServer(List.of(common), false);
    }

    /**
     * The options of a server whose clients may send as fast as a test does: {@code --message-rate 0} (no
     * per-connection message limit), then {@code more}.
     */
    public static String[] noRateLimit(String... more) {
        List<String> all = new ArrayList<>(NO_RATE_LIMIT);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
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
     * Starts a server on 127.0.0.1, port 0, with a 2 s drain, and the given options on top; the caller closes it.
     *
     * @param options command-line options, e.g. {@code "--max-rooms", "3"}; they win over the defaults here
     * @return the started server
     */
    public static RunningServer start(String... options) {
        RunningServer started = new RunningServer(List.of(), false);
        started.launch(List.of(options));
        return started;
    }

    /**
     * Starts this fixture's server with the fixture's options and {@code more} on top; once per test.
     *
     * @param more the test's own options
     * @return this fixture, started
     */
    public RunningServer startWith(String... more) {
        Objects.requireNonNull(more, "more");
        if (server != null) {
            throw new IllegalStateException("startWith() already called, or the server started before the test");
        }
        List<String> options = new ArrayList<>(fixtureOptions);
        options.addAll(List.of(more));
        launch(options);
        return this;
    }

    private void launch(List<String> options) {
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", "0", "--drain-timeout", "2000",
                "--data-dir", freshDataDir().toString()));
        args.addAll(options);
        ServerConfig parsed = ServerConfig.parse(args.toArray(String[]::new));
        config = parsed;
        try {
            server = new ChatServer(parsed).start();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the server", e);
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (startBeforeEach) {
            startWith();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        close();
    }

    private ChatServer running() {
        ChatServer started = server;
        if (started == null) {
            throw new IllegalStateException("server not started: call startWith() first");
        }
        return started;
    }

    /** The server, for what only it can tell (its sessions, its transport). */
    public ChatServer server() {
        return running();
    }

    /** The port it listens on. */
    public int port() {
        return running().port();
    }

    /** {@code ws://127.0.0.1:port} (or {@code wss://localhost:port} with TLS) followed by {@code pathAndQuery}. */
    public URI ws(String pathAndQuery) {
        return URI.create("ws" + scheme() + "://" + host() + ":" + port() + pathAndQuery);
    }

    /** {@code http://127.0.0.1:port} (or {@code https://localhost:port} with TLS): where paths are appended. */
    public String base() {
        return "http" + scheme() + "://" + host() + ":" + port();
    }

    private String scheme() {
        running();
        return config.tlsEnabled() ? "s" : "";
    }

    private String host() {
        // The test certificate names localhost and 127.0.0.1; the JDK verifies hostnames by DNS name.
        return scheme().isEmpty() ? "127.0.0.1" : "localhost";
    }

    /**
     * Connects a v2 client to {@code /ws} and reads its welcome and the lobby's join answer (presence, then history
     * unless {@code --history-on-join 0}); it closes with the server. Once this returns, a message sent to the lobby
     * reaches the client live: before the history, it could be in the history instead.
     */
    public TestClient v2() {
        TestClient c = closeLater(TestClient.v2(ws("/ws")));
        c.welcome();
        c.nextOf(ServerMessage.Presence.class);
        running();
        if (config.historyOnJoin() > 0) {
            c.nextOf(ServerMessage.History.class);
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

    /** Closes every client opened through this fixture, then stops the server (once; later calls do nothing). */
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
        ChatServer started = server;
        if (started != null && !stopped) {
            stopped = true;
            started.stop();
        }
    }
}
