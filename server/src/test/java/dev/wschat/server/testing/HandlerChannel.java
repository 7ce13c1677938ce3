package dev.wschat.server.testing;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.AttributeKey;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Builds the {@link EmbeddedChannel} of a handler test: its handlers, optionally a channel id, frozen time and
 * channel attributes set before anything fires, and, for handlers that start on it, the WebSocket handshake already completed as {@link WebSocketServerProtocolHandler} announces
 * it. E.g. {@code HandlerChannel.of(new ChatFrameHandler(service, codec, metrics)).handshaken("wschat.v2")}.
 */
public final class HandlerChannel {
    private final ChannelHandler[] handlers;
    private ChannelId id;
    private String path = "/ws";
    private boolean frozenTime;
    private final List<Consumer<EmbeddedChannel>> attributes = new ArrayList<>();

    private HandlerChannel(ChannelHandler[] handlers) {
        this.handlers = handlers;
    }

    /** A channel with {@code handlers}, first to last. */
    public static HandlerChannel of(ChannelHandler... handlers) {
        Objects.requireNonNull(handlers, "handlers");
        return new HandlerChannel(handlers.clone());
    }

    /** Gives the channel this id instead of EmbeddedChannel's shared one (for what is keyed by channel id). */
    public HandlerChannel id(ChannelId channelId) {
        this.id = Objects.requireNonNull(channelId, "channelId");
        return this;
    }

    /** The request path the handshake names; {@code /ws} unless set. */
    public HandlerChannel path(String requestPath) {
        this.path = Objects.requireNonNull(requestPath, "requestPath");
        return this;
    }

    /** Freezes the channel's clock: scheduled tasks run only when the test advances it. */
    public HandlerChannel frozenTime() {
        this.frozenTime = true;
        return this;
    }

    /** Sets a channel attribute before the handshake fires, e.g. the verified identity. */
    public <T> HandlerChannel attr(AttributeKey<T> key, T value) {
        Objects.requireNonNull(key, "key");
        attributes.add(channel -> channel.attr(key).set(value));
        return this;
    }

    /** The channel, its handlers added and nothing fired yet. */
    public EmbeddedChannel build() {
        EmbeddedChannel channel = id == null ? new EmbeddedChannel(handlers) : new EmbeddedChannel(id, handlers);
        if (frozenTime) {
            channel.freezeTime();
        }
        attributes.forEach(a -> a.accept(channel));
        return channel;
    }

    /**
     * The channel once its WebSocket handshake completed.
     *
     * @param subprotocol the subprotocol agreed, e.g. {@code wschat.v2}; {@code null} for none (the tutorial's dialect)
     * @return the channel, its handlers told of the handshake
     */
    public EmbeddedChannel handshaken(String subprotocol) {
        EmbeddedChannel channel = build();
        channel.pipeline().fireUserEventTriggered(
                new WebSocketServerProtocolHandler.HandshakeComplete(path, EmptyHttpHeaders.INSTANCE, subprotocol));
        return channel;
    }
}
