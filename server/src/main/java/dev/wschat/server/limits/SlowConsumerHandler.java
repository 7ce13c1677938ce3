package dev.wschat.server.limits;

import dev.wschat.protocol.CloseCodes;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.Objects;

/**
 * Cuts off a reader too slow for what it is sent. The channel's high write-buffer water mark is the
 * per-connection cap on queued bytes; when the queue passes it the channel turns unwritable, and this
 * handler closes the connection with {@link CloseCodes#SLOW_CONSUMER} (queued behind what is already
 * pending); the {@link CloseGuard} then lets no data frame follow, so the server's memory for it stays
 * bounded and the others in its rooms are not held up. One instance per connection.
 */
public final class SlowConsumerHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LogManager.getLogger(SlowConsumerHandler.class);

    private final ServerMetrics metrics;
    private boolean cutOff;

    /**
     * Creates the handler for one connection.
     *
     * @param metrics counts the connections cut off
     */
    public SlowConsumerHandler(ServerMetrics metrics) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (!ctx.channel().isWritable() && !cutOff && ctx.channel().isActive()) {
            cutOff = true;
            metrics.rejected(ServerMetrics.Reason.SLOW_CONSUMER);
            LOG.debug("[{}] cut off: {} bytes queued", ctx.channel().id(),
                    ctx.channel().unsafe().outboundBuffer() == null ? 0
                            : ctx.channel().unsafe().outboundBuffer().totalPendingWriteBytes());
            CloseFrames.close(ctx, CloseCodes.SLOW_CONSUMER, "Slow consumer");
        }
        super.channelWritabilityChanged(ctx);
    }
}
