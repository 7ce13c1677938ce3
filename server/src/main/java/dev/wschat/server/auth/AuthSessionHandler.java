package dev.wschat.server.auth;

import dev.wschat.protocol.CloseCodes;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.ScheduledFuture;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Acts on authentication once a WebSocket handshake completed: a connection without a verified identity is
 * closed with 4001 "Unauthorized" and never becomes a chat session; an authenticated one is closed with 1008
 * "Token expired" when its token's {@code exp} (plus the clock-skew tolerance) passes. One per channel.
 */
public final class AuthSessionHandler extends ChannelInboundHandlerAdapter {
    /** The close reason sent with {@link CloseCodes#UNAUTHORIZED}, as in the tutorial. */
    public static final String UNAUTHORIZED_REASON = "Unauthorized";
    /** The close reason sent with {@link CloseCodes#POLICY_VIOLATION} when a token expires while connected. */
    public static final String TOKEN_EXPIRED_REASON = "Token expired";

    private static final Logger LOG = LogManager.getLogger(AuthSessionHandler.class);

    private final ServerMetrics metrics;
    private final Duration clockSkew;
    private ScheduledFuture<?> expiry;

    /**
     * Creates the handler of one connection.
     *
     * @param metrics   counts refusals and expiries
     * @param clockSkew the tolerance added to a token's expiry
     */
    public AuthSessionHandler(ServerMetrics metrics, Duration clockSkew) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.clockSkew = Objects.requireNonNull(clockSkew, "clockSkew");
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            Identity identity = Identity.of(ctx.channel());
            if (identity == null) {
                metrics.rejected(ServerMetrics.Reason.AUTH_FAILED);
                LOG.debug("[{}] unauthorized: {}", ctx.channel().id(), ctx.channel().attr(HandshakeGuard.FAILURE).get());
                ctx.writeAndFlush(new CloseWebSocketFrame(CloseCodes.UNAUTHORIZED, UNAUTHORIZED_REASON))
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            long delayMillis = Duration.between(Instant.now(), identity.expiresAt().plus(clockSkew)).toMillis();
            expiry = ctx.executor().schedule(() -> expire(ctx), Math.max(0, delayMillis), TimeUnit.MILLISECONDS);
        }
        super.userEventTriggered(ctx, evt);
    }

    private void expire(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            return;
        }
        metrics.rejected(ServerMetrics.Reason.TOKEN_EXPIRED);
        LOG.debug("[{}] token expired; closing", ctx.channel().id());
        ctx.writeAndFlush(new CloseWebSocketFrame(CloseCodes.POLICY_VIOLATION, TOKEN_EXPIRED_REASON))
                .addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (expiry != null) {
            expiry.cancel(false);
            expiry = null;
        }
        super.channelInactive(ctx);
    }
}
