package dev.wschat.server;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * A real WebSocket client for tests (the JDK's {@link WebSocket}): queues every text message, records
 * the close code, and can stop reading to play a slow consumer.
 */
final class WsProbe implements WebSocket.Listener, AutoCloseable {
    /** What the welcome frame contains: a v2 probe that saw it is connected. */
    static final String WELCOME = "\"event\":\"welcome\"";
    /** What a presence frame contains: a v2 probe that saw the lobby's is in the lobby. */
    static final String PRESENCE = "\"type\":\"presence\"";
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    final CompletableFuture<String> closeReason = new CompletableFuture<>();
    private final AtomicBoolean paused = new AtomicBoolean();
    private final StringBuilder partial = new StringBuilder();
    private volatile WebSocket ws;
    /** Held for the probe's life: the JDK stops a WebSocket whose HttpClient was garbage-collected. */
    private HttpClient http;

    /** Connects with subprotocol {@code wschat.v2}. */
    static WsProbe connect(int port) {
        return connect(port, "wschat.v2");
    }

    /**
     * Connects to {@code ws://127.0.0.1:port/ws}.
     *
     * @param subprotocol the subprotocol, or {@code null} for the tutorial dialect
     */
    static WsProbe connect(int port, String subprotocol) {
        WsProbe probe = new WsProbe();
        probe.http = HttpClient.newHttpClient();
        WebSocket.Builder builder = probe.http.newWebSocketBuilder().connectTimeout(TIMEOUT);
        if (subprotocol != null) {
            builder.subprotocols(subprotocol);
        }
        probe.ws = builder.buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), probe).join();
        return probe;
    }

    /**
     * Tries to connect and returns the HTTP status of a refused handshake.
     *
     * @return the status, or 101 when the connection opened (it is then closed)
     */
    static int handshakeStatus(int port) {
        try {
            WsProbe probe = connect(port);
            probe.ws.abort();
            return 101;
        } catch (CompletionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException refused) {
                return refused.getResponse().statusCode();
            }
            throw e;
        }
    }

    WebSocket ws() {
        return ws;
    }

    /** Sends one text message and waits until it is written. */
    void send(String text) {
        ws.sendText(text, true).join();
    }

    /** Stops asking for messages: the client's socket fills up and then the server's queue for it. */
    void pause() {
        paused.set(true);
    }

    /** Asks for messages again. */
    void resume() {
        paused.set(false);
        ws.request(1);
    }

    /** Waits for the next text message that matches. */
    String await(Predicate<String> matcher) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String next = left > 0 ? texts.poll(left, TimeUnit.NANOSECONDS) : null;
            if (next == null) {
                throw new AssertionError("no matching message within " + TIMEOUT);
            }
            if (matcher.test(next)) {
                return next;
            }
        }
    }

    /** Waits for the close code the server sent (1006 when the connection dropped without one). */
    int awaitClose() throws InterruptedException, ExecutionException, TimeoutException {
        return closed.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            texts.add(partial.toString());
            partial.setLength(0);
        }
        if (!paused.get()) {
            webSocket.request(1);
        }
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closeReason.complete(reason);
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closeReason.complete(String.valueOf(error));
        closed.complete(1006);
    }

    @Override
    public void close() {
        if (ws != null) {
            ws.abort();
        }
    }
}
