package dev.wschat.server.limits;

import dev.wschat.server.metrics.ServerMetrics;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.ScheduledFuture;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection that does not deliver a complete HTTP request within the timeout of connecting
 * (or of its previous request, on a kept-alive connection), which ends slow-loris requests and
 * handshakes that never finish. Removes itself once the WebSocket handshake has been answered.
 * One instance per connection, placed after the HTTP aggregator.
 */
public final class HandshakeTimeoutHandler extends ChannelDuplexHandler {
    private static final Logger LOG = LogManager.getLogger(HandshakeTimeoutHandler.class);

    private final long timeoutNanos;
    private final ServerMetrics metrics;
    private ScheduledFuture<?> timeout;

    /**
     * Creates the handler for one connection.
     *
     * @param timeout the time allowed for each request
     * @param metrics counts connections closed by the timeout
     */
    public HandshakeTimeoutHandler(Duration timeout, ServerMetrics metrics) {
        this.timeoutNanos = Objects.requireNonNull(timeout, "timeout").toNanos();
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
            schedule(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (timeout == null) {
            schedule(ctx);
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof FullHttpRequest) {
            schedule(ctx);
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        boolean upgraded = msg instanceof HttpResponse response
                && HttpResponseStatus.SWITCHING_PROTOCOLS.equals(response.status());
        super.write(ctx, msg, promise);
        if (upgraded) {
            cancel();
            ctx.pipeline().remove(this);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    private void schedule(ChannelHandlerContext ctx) {
        cancel();
        timeout = ctx.executor().schedule(() -> {
            if (ctx.channel().isActive()) {
                metrics.rejected(ServerMetrics.Reason.HANDSHAKE_TIMEOUT);
                LOG.debug("[{}] closed: no complete request within {} ms", ctx.channel().id(),
                        TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
                ctx.close();
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }
}
