package dev.wschat.server.limits;

import dev.wschat.protocol.CloseCodes;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.MessageAggregationException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.nio.channels.ClosedChannelException;
import java.util.Objects;

/**
 * Closes a connection whose frames break the protocol or the limits with the right code, and counts it:
 * the frame decoder's and UTF-8 validator's violations with their own code (1002, 1007, 1009), a message
 * whose reassembled fragments pass the size limit (the frame aggregator's {@link TooLongFrameException})
 * with 1009. The decoder is configured not to close by itself, because its close (an empty write, then
 * close) lets WebSocketServerProtocolHandler send 1000 first. Once the handshake completes it puts a
 * {@link Utf8FailFastHandler} before the decoder. Sits right after the frame aggregator.
 */
@ChannelHandler.Sharable
public final class FrameLimitHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LogManager.getLogger(FrameLimitHandler.class);

    private final ServerMetrics metrics;
    private final int maxFramePayload;

    /**
     * Creates the handler.
     *
     * @param metrics         counts the rejections
     * @param maxFramePayload the frame decoder's payload limit
     */
    public FrameLimitHandler(ServerMetrics metrics, int maxFramePayload) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.maxFramePayload = maxFramePayload;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            ChannelHandlerContext decoder = ctx.pipeline().context(WebSocketFrameDecoder.class);
            if (decoder != null) {
                ctx.pipeline().addBefore(decoder.name(), "utf8-fail-fast", new Utf8FailFastHandler(maxFramePayload));
            }
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException corrupted) {
            WebSocketCloseStatus status = corrupted.closeStatus();
            int code = status == null ? CloseCodes.PROTOCOL_ERROR : status.code();
            metrics.rejected(reason(code));
            LOG.debug("[{}] closed {}: {}", ctx.channel().id(), code, cause.getMessage());
            if (ctx.channel().isActive()) {
                CloseFrames.close(ctx, code, status == null ? "Protocol error" : status.reasonText());
            }
        } else if (cause instanceof TooLongFrameException) {
            metrics.rejected(ServerMetrics.Reason.TOO_BIG);
            LOG.debug("[{}] closed 1009: {}", ctx.channel().id(), cause.getMessage());
            if (ctx.channel().isActive()) {
                CloseFrames.close(ctx, CloseCodes.MESSAGE_TOO_BIG, "Message too big");
            }
        } else if (cause instanceof DecoderException && cause.getCause() instanceof MessageAggregationException) {
            // A fragment out of sequence gets to the aggregator only after the UTF-8 validator refused the final
            // fragment before it (1007 sent): an ordinary end, not a warning (found by FrameHandlersFuzzTest).
            LOG.debug("[{}] a fragment out of sequence: {}", ctx.channel().id(), cause.getCause().toString());
            if (CloseGuard.acceptsData(ctx.channel())) {
                metrics.rejected(ServerMetrics.Reason.PROTOCOL_ERROR);
                CloseFrames.close(ctx, CloseCodes.PROTOCOL_ERROR, "Protocol error");
            }
        } else if (cause instanceof ClosedChannelException || cause instanceof PrematureChannelClosureException) {
            // A write after the close frame, or a peer gone mid-message: the connection is ending anyway.
            LOG.debug("[{}] {} on a closing connection", ctx.channel().id(), cause.getClass().getSimpleName());
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    private static ServerMetrics.Reason reason(int code) {
        return switch (code) {
            case CloseCodes.MESSAGE_TOO_BIG -> ServerMetrics.Reason.TOO_BIG;
            case CloseCodes.INVALID_PAYLOAD -> ServerMetrics.Reason.BAD_UTF8;
            default -> ServerMetrics.Reason.PROTOCOL_ERROR;
        };
    }
}
