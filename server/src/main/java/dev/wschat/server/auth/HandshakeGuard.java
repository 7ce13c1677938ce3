package dev.wschat.server.auth;

import dev.wschat.server.metrics.ServerMetrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;

/**
 * Checks each WebSocket upgrade request before the handshake: an origin not on the allow-list gets HTTP 403;
 * with authentication on, the token is verified off the event loop (reading stops meanwhile) and the result
 * kept on the channel for {@link AuthSessionHandler}, which closes an unauthenticated connection with 4001 once
 * the handshake completed (the close code a browser can observe, as in the tutorial). Other requests pass
 * untouched.
 */
@ChannelHandler.Sharable
public final class HandshakeGuard extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LogManager.getLogger(HandshakeGuard.class);
    /** Why the last handshake of a channel failed authentication; safe to log. */
    static final AttributeKey<String> FAILURE = AttributeKey.valueOf("wschat.authFailure");
    private static final AttributeKey<Boolean> VERIFYING = AttributeKey.valueOf("wschat.verifying");
    private static final String LEGACY_ORIGIN = "Sec-WebSocket-Origin";
    private static final int MAX_LOGGED_ORIGIN = 100;

    private final OriginPolicy origins;
    private final JwtAuthenticator authenticator;
    private final String cookie;
    private final ServerMetrics metrics;

    /**
     * Creates the guard.
     *
     * @param origins       the origin allow-list
     * @param authenticator verifies tokens, or {@code null} when authentication is off
     * @param cookie        the cookie a token may come in, or {@code null}
     * @param metrics       counts refused origins and handshakes past the verification queue, and shows its length
     */
    public HandshakeGuard(OriginPolicy origins, JwtAuthenticator authenticator, String cookie, ServerMetrics metrics) {
        this.origins = Objects.requireNonNull(origins, "origins");
        this.authenticator = authenticator;
        this.cookie = cookie;
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        if (authenticator != null) {
            metrics.gauge("wschat.auth.verifications.queued", "Token verifications waiting for a verifier thread",
                    authenticator::queued);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (ctx.channel().attr(VERIFYING).get() != null) {
            // A client waits for the 101 before sending anything; bytes pipelined behind the upgrade are abuse.
            LOG.debug("[{}] sent data while its token was being verified; closing", ctx.channel().id());
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        if (!(msg instanceof FullHttpRequest request) || !isUpgrade(request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        String origin = request.headers().get(HttpHeaderNames.ORIGIN, request.headers().get(LEGACY_ORIGIN));
        if (!origins.allows(origin)) {
            metrics.rejected(ServerMetrics.Reason.ORIGIN_REFUSED);
            LOG.debug("[{}] refused a WebSocket handshake from origin {}", ctx.channel().id(), printable(origin));
            request.release();
            refuse(ctx);
            return;
        }
        if (authenticator == null) {
            ctx.fireChannelRead(request);
            return;
        }
        String token = Tokens.find(request, cookie);
        Tokens.stripFromUri(request);
        request.headers().remove(HttpHeaderNames.AUTHORIZATION);
        ctx.channel().attr(VERIFYING).set(Boolean.TRUE);
        ctx.channel().config().setAutoRead(false);
        authenticator.verifyAsync(token).whenComplete((identity, error) -> {
            try {
                ctx.executor().execute(() -> verified(ctx, request, identity, error));
            } catch (RejectedExecutionException e) {
                // The event loop is shutting down; the connection goes with it.
                request.release();
            }
        });
    }

    private void verified(ChannelHandlerContext ctx, FullHttpRequest request, Identity identity, Throwable error) {
        ctx.channel().attr(VERIFYING).set(null);
        if (!ctx.channel().isActive()) {
            request.release();
            return;
        }
        ctx.channel().config().setAutoRead(true);
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof RejectedExecutionException) {
            metrics.rejected(ServerMetrics.Reason.AUTH_QUEUE_FULL);
            LOG.warn("[{}] {} token verifications already queued (--auth-queue); answering 503", ctx.channel().id(),
                    authenticator.queueCapacity());
            request.release();
            refuse(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "Server busy, retry shortly\n");
            return;
        }
        ctx.channel().attr(Identity.KEY).set(identity);
        ctx.channel().attr(FAILURE).set(cause == null ? null
                : cause instanceof AuthenticationException ? cause.getMessage() : cause.getClass().getSimpleName());
        ctx.fireChannelRead(request);
    }

    private static void refuse(ChannelHandlerContext ctx) {
        refuse(ctx, HttpResponseStatus.FORBIDDEN, "Origin not allowed\n");
    }

    private static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (status.equals(HttpResponseStatus.SERVICE_UNAVAILABLE)) {
            response.headers().set(HttpHeaderNames.RETRY_AFTER, 1);
        }
        HttpUtil.setContentLength(response, response.content().readableBytes());
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    /** {@code Connection: Upgrade} and {@code Upgrade: websocket}: what the HTTP handler routes to the handshake. */
    private static boolean isUpgrade(FullHttpRequest request) {
        return request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && request.headers().contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }

    private static String printable(String s) {
        if (s == null) {
            return "(none)";
        }
        String cut = s.length() > MAX_LOGGED_ORIGIN ? s.substring(0, MAX_LOGGED_ORIGIN) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
