package dev.wschat.server.limits;

import dev.wschat.protocol.CloseCodes;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Heartbeats: once the handshake completes, puts an {@link IdleStateHandler} at the head of the
 * pipeline (so every byte read, pongs included, counts as life); a connection silent for one interval
 * is pinged, one silent for two is closed 1001 {@code "Idle timeout"}. One instance per connection.
 */
public final class HeartbeatHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LogManager.getLogger(HeartbeatHandler.class);
    /** The pipeline name of the idle-state handler this handler adds. */
    public static final String IDLE_HANDLER_NAME = "idle";

    private final long intervalNanos;
    private final ServerMetrics metrics;
    private boolean closing;

    /**
     * Creates the handler for one connection.
     *
     * @param interval the idle time before a ping; {@link Duration#ZERO} turns heartbeats off
     * @param metrics  counts connections closed for silence
     */
    public HeartbeatHandler(Duration interval, ServerMetrics metrics) {
        this.intervalNanos = Objects.requireNonNull(interval, "interval").toNanos();
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete && intervalNanos > 0) {
            ctx.pipeline().addFirst(IDLE_HANDLER_NAME, new IdleStateHandler(intervalNanos, 0, 0, TimeUnit.NANOSECONDS));
        } else if (evt instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE) {
            if (idle.isFirst()) {
                ctx.writeAndFlush(new PingWebSocketFrame());
            } else if (!closing) {
                // One close, however often the idle handler fires while the close handshake runs.
                closing = true;
                metrics.rejected(ServerMetrics.Reason.IDLE_TIMEOUT);
                LOG.debug("[{}] closed: silent for two heartbeat intervals", ctx.channel().id());
                CloseFrames.close(ctx, CloseCodes.GOING_AWAY, "Idle timeout");
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }
}
