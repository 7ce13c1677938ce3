package dev.wschat.server.chat;

import dev.wschat.protocol.CloseCodes;
import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.JsonCodec;
import dev.wschat.server.auth.Identity;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * Turns WebSocket frames into chat actions: starts the session when the handshake completes,
 * decodes each text frame with the codec and hands the record to the {@link ChatService}.
 */
public final class ChatFrameHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
    private static final Logger LOG = LogManager.getLogger(ChatFrameHandler.class);

    private final ChatService service;
    private final JsonCodec codec;
    private final ServerMetrics metrics;

    /**
     * Creates a handler for one connection.
     *
     * @param service the chat service shared by every connection
     * @param codec   the codec
     * @param metrics counts messages and rejections
     */
    public ChatFrameHandler(ChatService service, JsonCodec codec, ServerMetrics metrics) {
        this.service = Objects.requireNonNull(service, "service");
        this.codec = Objects.requireNonNull(codec, "codec");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete handshake) {
            service.connect(ctx.channel(), Dialect.forSubprotocol(handshake.selectedSubprotocol()),
                    Identity.of(ctx.channel()), resumeToken(handshake.requestUri()));
        }
        super.userEventTriggered(ctx, evt);
    }

    /** The {@code resume} query parameter of the handshake's URI, or {@code null}. */
    static String resumeToken(String uri) {
        if (uri == null || uri.indexOf('?') < 0) {
            return null;
        }
        List<String> values = new QueryStringDecoder(uri).parameters().get("resume");
        return values == null || values.isEmpty() || values.get(0).isEmpty() ? null : values.get(0);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        Session session = Session.of(ctx.channel());
        if (session == null) {
            return;
        }
        if (frame instanceof TextWebSocketFrame text) {
            metrics.messageIn(text.content().readableBytes());
            service.handle(session, codec.decode(text.text(), session.dialect()));
        } else if (frame instanceof BinaryWebSocketFrame) {
            metrics.rejected(ServerMetrics.Reason.BINARY_FRAME);
            ctx.writeAndFlush(new CloseWebSocketFrame(CloseCodes.UNSUPPORTED_DATA, "Binary frames are not supported"))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        Session session = Session.of(ctx.channel());
        if (session != null) {
            service.disconnect(session);
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            // The peer went away mid-write (reset, broken pipe): ordinary for a chat server.
            LOG.debug("[{}] connection error: {}", ctx.channel().id(), cause.toString());
        } else {
            LOG.warn("[{}] closing after an unexpected error", ctx.channel().id(), cause);
        }
        ctx.close();
    }
}
