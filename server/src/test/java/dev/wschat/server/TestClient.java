package dev.wschat.server;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * An independent WebSocket client for tests, built on the JDK's {@link java.net.http.WebSocket}:
 * collects every text message and the close code, and awaits them with timeouts.
 */
public final class TestClient implements AutoCloseable {
    /** How long any await waits before failing the test. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    private final CompletableFuture<String> closeReason = new CompletableFuture<>();
    private final WebSocket socket;

    private TestClient(URI uri, String subprotocol) {
        WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(TIMEOUT);
        if (subprotocol != null) {
            builder.subprotocols(subprotocol);
        }
        this.socket = builder.buildAsync(uri, new Listener()).orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .join();
    }

    /** Connects without a subprotocol: the tutorial dialect. */
    public static TestClient tutorial(URI uri) {
        return new TestClient(uri, null);
    }

    /** Connects with subprotocol {@code wschat.v2}. */
    public static TestClient v2(URI uri) {
        return new TestClient(uri, "wschat.v2");
    }

    /** Connects asking for a subprotocol, or none when {@code null}. */
    public static TestClient connect(URI uri, String subprotocol) {
        return new TestClient(uri, subprotocol);
    }

    /** The subprotocol the server selected, empty when none. */
    public String subprotocol() {
        return socket.getSubprotocol();
    }

    /** Sends a text message and waits until it is written. */
    public TestClient send(String text) {
        socket.sendText(text, true).orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).join();
        return this;
    }

    /** Sends a JSON object built from alternating keys and values. */
    public TestClient sendJson(String... keysAndValues) {
        JsonObject o = new JsonObject();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            o.addProperty(keysAndValues[i], keysAndValues[i + 1]);
        }
        return send(o.toString());
    }

    /** The next message, parsed; fails after {@link #TIMEOUT}. */
    public JsonObject next() {
        try {
            String text = messages.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (text == null) {
                throw new AssertionError("no message within " + TIMEOUT);
            }
            return JsonParser.parseString(text).getAsJsonObject();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a message", e);
        }
    }

    /** The next message matching {@code filter}, skipping others; fails after {@link #TIMEOUT}. */
    public JsonObject next(Predicate<JsonObject> filter) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        List<JsonObject> skipped = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            JsonObject m = next();
            if (filter.test(m)) {
                return m;
            }
            skipped.add(m);
        }
        throw new AssertionError("no matching message within " + TIMEOUT + "; skipped " + skipped);
    }

    /** The next message of a {@code type}, skipping others. */
    public JsonObject nextOfType(String type) {
        return next(m -> type.equals(str(m, "type")));
    }

    /** The messages received so far and not yet read. */
    public int pending() {
        return messages.size();
    }

    /** Waits for the server's close frame and returns its status code. */
    public int awaitCloseCode() {
        return closeCode.orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).join();
    }

    /** The close reason, once closed. */
    public String closeReason() {
        return closeReason.orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).join();
    }

    /** A string field, or {@code null}. */
    public static String str(JsonObject m, String field) {
        return m.has(field) && !m.get(field).isJsonNull() ? m.get(field).getAsString() : null;
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        }
        socket.abort();
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeReason.complete(reason);
            closeCode.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closeCode.completeExceptionally(error);
            closeReason.completeExceptionally(error);
        }
    }
}
