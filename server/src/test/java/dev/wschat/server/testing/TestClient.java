package dev.wschat.server.testing;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.wschat.protocol.ClientMessage;
import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.JsonCodec;
import dev.wschat.protocol.MalformedMessageException;
import dev.wschat.protocol.ServerMessage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * The one WebSocket client of the tests, the JDK's {@link WebSocket}: connects with a subprotocol, headers and a
 * query, queues every text message, records the close, and can stop reading to play a slow consumer. Every wait
 * fails the test after {@link #TIMEOUT}. Messages read as the protocol's records ({@link #nextMessage},
 * {@link #nextOf}, {@link #receivedOf}: decoded by {@link JsonCodec#decodeServer}, so a server message the protocol
 * cannot read fails the test) or as JSON ({@link #next}, for tests about the exact wire form).
 */
public final class TestClient implements AutoCloseable {
    /** How long any wait takes before failing the test. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** How long {@link #close()} waits for the server's answer to its Close frame. */
    public static final Duration CLOSE_WAIT = Duration.ofSeconds(2);
    /** The v2 dialect's subprotocol. */
    public static final String V2 = "wschat.v2";
    /** The protocol's codec: decodes what the server sends, encodes {@link #send(ClientMessage)}. */
    private static final JsonCodec CODEC = new JsonCodec();
    /** Shared by clients that bring none; the JDK stops a WebSocket whose HttpClient was garbage-collected. */
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    /** The close a client observed: the code and reason the server sent, or 1006 when the connection dropped. */
    public record Close(int code, String reason) {
    }

    private final BlockingQueue<String> unread = new LinkedBlockingQueue<>();
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private final AtomicBoolean paused = new AtomicBoolean();
    /** Held for the client's life: the JDK stops a WebSocket whose HttpClient was garbage-collected. */
    private final HttpClient http;
    private volatile WebSocket socket;

    private TestClient(HttpClient http) {
        this.http = http;
    }

    /** Starts a connection to {@code uri}, to be given a subprotocol, headers or an HTTP client. */
    public static Connect to(URI uri) {
        return new Connect(uri);
    }

    /** Connects without a subprotocol: the tutorial dialect. */
    public static TestClient tutorial(URI uri) {
        return to(uri).connect();
    }

    /** Connects with subprotocol {@code wschat.v2}. */
    public static TestClient v2(URI uri) {
        return to(uri).subprotocol(V2).connect();
    }

    /** Connects asking for a subprotocol, or none when {@code null}. */
    public static TestClient connect(URI uri, String subprotocol) {
        return to(uri).subprotocol(subprotocol).connect();
    }

    /** What to connect with; {@link #connect()} opens the WebSocket. */
    public static final class Connect {
        private final URI uri;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private String subprotocol;
        private HttpClient http = HTTP;

        private Connect(URI uri) {
            this.uri = Objects.requireNonNull(uri, "uri");
        }

        /** Asks for a subprotocol; {@code null} for none (the tutorial dialect). */
        public Connect subprotocol(String value) {
            this.subprotocol = value;
            return this;
        }

        /** Adds a handshake header, e.g. {@code Origin}, {@code Authorization} or {@code Cookie}. */
        public Connect header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        /** Adds handshake headers. */
        public Connect headers(Map<String, String> more) {
            headers.putAll(more);
            return this;
        }

        /** Connects through this client (its SSL context is used for {@code wss://}). */
        public Connect http(HttpClient client) {
            this.http = Objects.requireNonNull(client, "client");
            return this;
        }

        /**
         * Opens the WebSocket.
         *
         * @return the connected client
         * @throws UncheckedIOException when the connection failed; a refused handshake's cause is a
         *                              {@link WebSocketHandshakeException} carrying the HTTP response
         */
        public TestClient connect() {
            TestClient client = new TestClient(http);
            WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(TIMEOUT);
            if (subprotocol != null) {
                builder.subprotocols(subprotocol);
            }
            headers.forEach(builder::header);
            try {
                client.socket = builder.buildAsync(uri, client.new Listener())
                        .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null
                        ? c.getCause() : e.getCause();
                if (cause instanceof IOException io) {
                    throw new UncheckedIOException(io);
                }
                throw new IllegalStateException("connecting to " + uri + " failed", cause);
            } catch (TimeoutException e) {
                throw new AssertionError("no handshake answer from " + uri + " within " + TIMEOUT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while connecting to " + uri, e);
            }
            return client;
        }

        /**
         * The HTTP response of a handshake the server refused.
         *
         * @return the response (status and headers) the server answered instead of 101
         * @throws AssertionError when the WebSocket opened (it is closed again)
         */
        public HttpResponse<?> refusal() {
            try (TestClient unexpected = connect()) {
                throw new AssertionError("handshake to " + uri + " succeeded; expected an HTTP refusal");
            } catch (UncheckedIOException e) {
                if (e.getCause() instanceof WebSocketHandshakeException refused) {
                    return refused.getResponse();
                }
                throw e;
            }
        }

        /** The HTTP status of the handshake: 101 when the WebSocket opened (it is closed again). */
        public int handshakeStatus() {
            try (TestClient opened = connect()) {
                return 101;
            } catch (UncheckedIOException e) {
                if (e.getCause() instanceof WebSocketHandshakeException refused) {
                    return refused.getResponse().statusCode();
                }
                throw e;
            }
        }
    }

    /** The JDK WebSocket, for what the methods here do not cover (fragments, binary frames). */
    public WebSocket ws() {
        return socket;
    }

    /** The subprotocol the server selected, empty when none. */
    public String subprotocol() {
        return socket.getSubprotocol();
    }

    /** Sends a text message and waits until it is written. */
    public TestClient send(String text) {
        join(socket.sendText(text, true), "sending a message");
        return this;
    }

    /** Sends a client message as the protocol's codec encodes it in this connection's dialect. */
    public TestClient send(ClientMessage message) {
        return send(CODEC.encodeClient(Objects.requireNonNull(message, "message"), dialect()));
    }

    /**
     * Sends a JSON object built from alternating keys and values, as written: for what the codec would not encode
     * (invalid names, unknown fields, a message only the server may refuse); otherwise {@link #send(ClientMessage)}.
     */
    public TestClient sendJson(String... keysAndValues) {
        JsonObject o = new JsonObject();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            o.addProperty(keysAndValues[i], keysAndValues[i + 1]);
        }
        return send(o.toString());
    }

    /** Sends a close frame and waits until it is written. */
    public TestClient sendClose(int code, String reason) {
        join(socket.sendClose(code, reason), "sending a close frame");
        return this;
    }

    /** The next text message, unparsed; fails after {@link #TIMEOUT}. */
    public String nextText() {
        try {
            String text = unread.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (text == null) {
                throw new AssertionError("no message within " + TIMEOUT);
            }
            return text;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a message", e);
        }
    }

    /** The next text message matching {@code filter}, skipping others; fails after {@link #TIMEOUT}. */
    public String nextText(Predicate<String> filter) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        List<String> skipped = new ArrayList<>();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                String text = left > 0 ? unread.poll(left, TimeUnit.NANOSECONDS) : null;
                if (text == null) {
                    throw new AssertionError("no matching message within " + TIMEOUT + "; skipped " + skipped);
                }
                if (filter.test(text)) {
                    return text;
                }
                skipped.add(text);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a message", e);
        }
    }

    /** The next message, parsed; fails after {@link #TIMEOUT}. */
    public JsonObject next() {
        return parse(nextText());
    }

    /** The next message matching {@code filter}, skipping others; fails after {@link #TIMEOUT}. */
    public JsonObject next(Predicate<JsonObject> filter) {
        return parse(nextText(text -> filter.test(parse(text))));
    }

    /** The next message of a {@code type}, skipping others. */
    public JsonObject nextOfType(String type) {
        return next(m -> type.equals(str(m, "type")));
    }

    /**
     * The next message, decoded by the protocol in this connection's dialect; fails after {@link #TIMEOUT}, and with
     * the decoder's message when the server sent something the protocol cannot read (a protocol bug).
     */
    public ServerMessage nextMessage() {
        return decode(nextText());
    }

    /** The next message of record type {@code type}, decoded, skipping (and decoding) others. */
    public <T extends ServerMessage> T nextOf(Class<T> type) {
        return type.cast(decode(nextText(text -> type.isInstance(decode(text)))));
    }

    /** The next message of record type {@code type} that {@code filter} accepts, decoded, skipping others. */
    public <T extends ServerMessage> T nextOf(Class<T> type, Predicate<? super T> filter) {
        return type.cast(decode(nextText(text -> {
            ServerMessage m = decode(text);
            return type.isInstance(m) && filter.test(type.cast(m));
        })));
    }

    /** The dialect the handshake agreed: {@code wschat.v2}, or the tutorial's when no subprotocol was selected. */
    public Dialect dialect() {
        return Dialect.forSubprotocol(socket.getSubprotocol());
    }

    /** The wschat.v2 welcome, as JSON: the first message a session receives. */
    public JsonObject welcome() {
        String text = nextText();
        if (!(decode(text) instanceof ServerMessage.Welcome) || dialect() != Dialect.V2) {
            throw new AssertionError("expected a wschat.v2 welcome, got " + text);
        }
        return parse(text);
    }

    /** The messages received and not yet read by a {@code next} method. */
    public int pending() {
        return unread.size();
    }

    /** Every text message received so far, read or not, in order of arrival. */
    public List<String> received() {
        return List.copyOf(received);
    }

    /** Every message of record type {@code type} received so far, read or not, decoded, in order of arrival. */
    public <T extends ServerMessage> List<T> receivedOf(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (String text : received) {
            ServerMessage m = decode(text);
            if (type.isInstance(m)) {
                out.add(type.cast(m));
            }
        }
        return out;
    }

    /**
     * The notices (join, leave, rename) about user {@code userId} among every message received so far, in order of
     * arrival, each as {@code event:room}.
     */
    public List<String> noticesAbout(String userId) {
        List<String> out = new ArrayList<>();
        for (String text : received) {
            if (decode(text) instanceof ServerMessage.Notice n && userId.equals(n.user().id())) {
                out.add(n.kind().wireName() + ":" + n.room());
            }
        }
        return out;
    }

    /** Stops asking for messages: the client's socket fills up and then the server's queue for it. */
    public void pause() {
        paused.set(true);
    }

    /** Asks for messages again. */
    public void resume() {
        paused.set(false);
        socket.request(1);
    }

    /** Completes with the close once the server sent one or the connection dropped. */
    public CompletableFuture<Close> closed() {
        return closed;
    }

    /** Waits for the close; fails after {@link #TIMEOUT}. */
    public Close awaitClose() {
        return join(closed, "waiting for the close");
    }

    /** Waits for the close and returns its status code (1006 when the connection dropped without one). */
    public int awaitCloseCode() {
        return awaitClose().code();
    }

    /** Waits for the close and returns its reason. */
    public String closeReason() {
        return awaitClose().reason();
    }

    /** A string field, or {@code null}. */
    public static String str(JsonObject m, String field) {
        return m.has(field) && !m.get(field).isJsonNull() ? m.get(field).getAsString() : null;
    }

    /**
     * Closes normally: sends close 1000 and waits (up to {@link #CLOSE_WAIT}) for the server's answer before dropping
     * the socket, so the server reads the close (a session closed with 1000 ends at once; one that drops is kept
     * for a resume).
     */
    @Override
    public void close() {
        WebSocket ws = socket;
        if (ws == null) {
            return;
        }
        if (!ws.isOutputClosed()) {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                closed.get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // the connection is gone or the server does not answer: dropped below either way
            }
        }
        ws.abort();
    }

    /** Drops the connection without a Close frame, as a network failure would (the server sees it end abnormally). */
    public void abort() {
        WebSocket ws = socket;
        if (ws != null) {
            ws.abort();
        }
    }

    private ServerMessage decode(String text) {
        try {
            return CODEC.decodeServer(text, dialect());
        } catch (MalformedMessageException e) {
            throw new AssertionError("the protocol cannot read what the server sent (" + e.getMessage() + "): "
                    + text, e);
        }
    }

    private static JsonObject parse(String text) {
        return JsonParser.parseString(text).getAsJsonObject();
    }

    private static <T> T join(CompletableFuture<T> future, String what) {
        try {
            return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + " took longer than " + TIMEOUT);
        } catch (ExecutionException e) {
            throw new IllegalStateException(what + " failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + what, e);
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                received.add(text);
                unread.add(text);
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
            closed.complete(new Close(statusCode, reason));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(new Close(1006, String.valueOf(error)));
        }
    }
}
