package dev.wschat.server.auth;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real client from outside for the security and operations tests: the JDK's {@link WebSocket} and
 * {@link HttpClient}. Records every text message and the close code and reason it receives.
 */
public final class HandshakeClient implements WebSocket.Listener, AutoCloseable {
    /** How long any single wait may take. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** The close a client observed: code and reason. */
    public record Close(int code, String reason) {
    }

    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket socket;

    private HandshakeClient() {
    }

    /**
     * Opens a WebSocket with the {@code wschat.v2} subprotocol.
     *
     * @param http    the client (its SSL context is used for {@code wss://})
     * @param uri     the endpoint
     * @param headers extra handshake headers
     * @return the connected client
     * @throws WebSocketHandshakeException when the server answered the handshake with an HTTP status
     */
    public static HandshakeClient connect(HttpClient http, URI uri, Map<String, String> headers) throws Exception {
        HandshakeClient client = new HandshakeClient();
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(TIMEOUT).subprotocols("wschat.v2");
        headers.forEach(builder::header);
        try {
            client.socket = builder.buildAsync(uri, client).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
        return client;
    }

    /** Opens a plain {@code ws://} WebSocket. */
    public static HandshakeClient connect(URI uri, Map<String, String> headers) throws Exception {
        return connect(HttpClient.newHttpClient(), uri, headers);
    }

    /**
     * The HTTP status of a refused handshake.
     *
     * @param uri     the endpoint
     * @param headers extra handshake headers
     * @return the status the server answered instead of 101
     */
    public static int refusedStatus(URI uri, Map<String, String> headers) throws Exception {
        try (HandshakeClient unexpected = connect(uri, headers)) {
            throw new AssertionError("handshake to " + uri + " succeeded; expected an HTTP refusal");
        } catch (WebSocketHandshakeException e) {
            return e.getResponse().statusCode();
        }
    }

    /** The next text message, parsed; fails after {@link #TIMEOUT}. */
    public JsonObject next() throws InterruptedException {
        String text = messages.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (text == null) {
            throw new AssertionError("no message within " + TIMEOUT);
        }
        return JsonParser.parseString(text).getAsJsonObject();
    }

    /** The next message of a type (skipping others), parsed; fails after {@link #TIMEOUT}. */
    public JsonObject next(String type) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            String text = messages.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (text == null) {
                break;
            }
            JsonObject m = JsonParser.parseString(text).getAsJsonObject();
            if (type.equals(m.get("type").getAsString())) {
                return m;
            }
        }
        throw new AssertionError("no message of type " + type + " within " + TIMEOUT);
    }

    /** The welcome message: the first one a session receives. */
    public JsonObject welcome() throws InterruptedException {
        JsonObject welcome = next();
        if (!"welcome".equals(welcome.has("event") ? welcome.get("event").getAsString() : null)) {
            throw new AssertionError("expected a welcome, got " + welcome);
        }
        return welcome;
    }

    /** The close the server sent; fails after {@link #TIMEOUT}. */
    public Close awaitClose() throws InterruptedException, ExecutionException, TimeoutException {
        return closed.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Text messages received and not yet taken. */
    public int pending() {
        return messages.size();
    }

    /** Sends a text message. */
    public void send(String text) throws Exception {
        socket.sendText(text, true).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(Long.MAX_VALUE);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            messages.add(partial.toString());
            partial.setLength(0);
        }
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(new Close(statusCode, reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.completeExceptionally(error);
    }

    @Override
    public void close() {
        if (socket != null) {
            socket.abort();
        }
    }

    /**
     * A plain GET.
     *
     * @param http the client
     * @param uri  the URL
     * @return the response
     */
    public static HttpResponse<String> get(HttpClient http, URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Reads one counter of {@code wschat_rejections_total} from {@code /metrics}.
     *
     * @param base   the server's base URL, e.g. {@code http://127.0.0.1:1234}
     * @param reason the reason tag, e.g. {@code auth_failed}
     * @return the counter's value
     */
    public static double rejections(HttpClient http, String base, String reason) throws Exception {
        String body = get(http, URI.create(base + "/metrics")).body();
        for (String line : body.split("\n")) {
            if (line.startsWith("wschat_rejections_total{") && line.contains("reason=\"" + reason + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no wschat_rejections_total for reason " + reason + " in /metrics");
    }

    /** Same as {@link #rejections(HttpClient, String, String)} over plain HTTP. */
    public static double rejections(String base, String reason) throws Exception {
        return rejections(HttpClient.newHttpClient(), base, reason);
    }
}
