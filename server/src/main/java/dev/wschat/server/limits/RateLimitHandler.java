package dev.wschat.server.limits;

import dev.wschat.protocol.CloseCodes;
import dev.wschat.protocol.ErrorCode;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.Objects;

/**
 * The per-connection message rate limit, a token bucket: a text message past it is dropped and answered
 * {@code error rate_limited} with {@code retryAfterMs}; a connection that keeps sending through
 * {@link LimitSettings#rateLimitStrikes()} refusals in a row is closed 1008. Counts only once the handshake
 * completed for the chat (an unauthorized connection's never does). One instance per connection, just before
 * the chat handler.
 */
public final class RateLimitHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LogManager.getLogger(RateLimitHandler.class);

    /** Sends a refusal to a connection in its dialect; the chat knows how, this package does not. */
    @FunctionalInterface
    public interface Reply {
        /**
         * Sends {@code refusal} to {@code channel}.
         *
         * @param channel the connection whose message was refused
         * @param refusal the {@code rate_limited} error
         */
        void send(Channel channel, ServerMessage.Error refusal);
    }

    private final LimitSettings limits;
    private final Reply reply;
    private final ServerMetrics metrics;
    private boolean chatting;
    private TokenBucket bucket;
    private int strikes;
    private boolean closing;

    /**
     * Creates the handler for one connection.
     *
     * @param limits  the rate, burst and strikes
     * @param reply   sends the error reply
     * @param metrics counts refused messages
     */
    public RateLimitHandler(LimitSettings limits, Reply reply, ServerMetrics metrics) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.reply = Objects.requireNonNull(reply, "reply");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            chatting = true;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (limits.messageRate() <= 0 || !(msg instanceof TextWebSocketFrame) || !chatting) {
            ctx.fireChannelRead(msg);
            return;
        }
        long now = System.nanoTime();
        if (bucket == null) {
            bucket = new TokenBucket(limits.messageRate(), limits.messageBurst(), now);
        }
        if (bucket.tryAcquire(now)) {
            strikes = 0;
            ctx.fireChannelRead(msg);
            return;
        }
        ReferenceCountUtil.release(msg);
        if (closing) {
            return;
        }
        metrics.rejected(ServerMetrics.Reason.RATE_LIMITED);
        if (++strikes >= limits.rateLimitStrikes()) {
            closing = true;
            LOG.debug("[{}] closed 1008: {} rate-limited messages in a row", ctx.channel().id(), strikes);
            CloseFrames.close(ctx, CloseCodes.POLICY_VIOLATION, "Rate limit exceeded");
            return;
        }
        long retryAfter = bucket.millisUntilAvailable(now);
        reply.send(ctx.channel(), new ServerMessage.Error(ErrorCode.RATE_LIMITED, "Too many messages: the limit is "
                + limits.messageRate() + " per second; retry in " + retryAfter + " ms", null, retryAfter));
    }
}
