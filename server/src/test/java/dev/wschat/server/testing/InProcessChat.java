package dev.wschat.server.testing;

import dev.wschat.protocol.JsonCodec;
import dev.wschat.server.ServerConfig;
import dev.wschat.server.chat.ChatFrameHandler;
import dev.wschat.server.chat.ChatService;
import dev.wschat.server.chat.RoomRegistry;
import dev.wschat.server.history.History;
import dev.wschat.server.history.InMemoryHistory;
import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.server.presence.Presence;
import io.netty.channel.embedded.EmbeddedChannel;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link ChatService} in this JVM with the codec, metrics and rooms it was built with, single-node (no broker;
 * no shared presence unless given one), for tests that drive the chat handler on {@link EmbeddedChannel}s or put the real pipeline
 * on a socket of their own; {@link #close()} closes the service and the metrics.
 *
 * @param config  the options it was built from
 * @param codec   the codec, shared with the handlers
 * @param metrics its metrics
 * @param rooms   its rooms
 * @param service the service
 */
public record InProcessChat(ServerConfig config, JsonCodec codec, ServerMetrics metrics, RoomRegistry rooms,
                            ChatService service) implements AutoCloseable {

    /** A service with history in memory (10 messages per room) and the defaults with {@code options} on top. */
    public static InProcessChat start(String... options) {
        return withHistory(new InMemoryHistory(10), options);
    }

    /** A service storing in {@code history}, with the defaults and {@code options} on top. */
    public static InProcessChat withHistory(History history, String... options) {
        Objects.requireNonNull(history, "history");
        List<String> args = new ArrayList<>(List.of("--port", "0"));
        args.addAll(List.of(options));
        return build(ServerConfig.parse(args.toArray(String[]::new)), history, null);
    }

    /**
     * A service listing its members in {@code presence} (e.g. a Redis one other nodes share), with history in memory
     * (10 per room) and the defaults with {@code options} on top.
     */
    public static InProcessChat withPresence(Presence presence, String... options) {
        Objects.requireNonNull(presence, "presence");
        List<String> args = new ArrayList<>(List.of("--port", "0"));
        args.addAll(List.of(options));
        return build(ServerConfig.parse(args.toArray(String[]::new)), new InMemoryHistory(10), presence);
    }

    /** A service for {@code config} (a server's whole configuration), with history in memory (10 per room). */
    public static InProcessChat of(ServerConfig config) {
        return build(Objects.requireNonNull(config, "config"), new InMemoryHistory(10), null);
    }

    private static InProcessChat build(ServerConfig config, History history, Presence presence) {
        JsonCodec codec = new JsonCodec(config.maxContentLength());
        ServerMetrics metrics = new ServerMetrics();
        RoomRegistry rooms = new RoomRegistry(codec, metrics);
        ChatService.Builder builder = ChatService.builder(config.chatSettings(), codec, rooms, metrics).history(history);
        if (presence != null) {
            builder.presence(presence);
        }
        ChatService service = builder.build();
        return new InProcessChat(config, codec, metrics, rooms, service);
    }

    /** A new chat handler of this service, on a channel whose handshake with {@code subprotocol} completed. */
    public EmbeddedChannel connect(String subprotocol) {
        return HandlerChannel.of(handler()).handshaken(subprotocol);
    }

    /** A new chat handler of this service, for a channel a test builds itself (e.g. behind a limit handler). */
    public ChatFrameHandler handler() {
        return new ChatFrameHandler(service, codec, metrics);
    }

    @Override
    public void close() {
        service.close();
        metrics.close();
    }
}
