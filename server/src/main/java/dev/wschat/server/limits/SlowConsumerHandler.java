package dev.wschat.server.limits;

import dev.wschat.protocol.CloseCodes;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.nio.channels.ClosedChannelException;
import java.util.Objects;

/**
 * Cuts off a reader too slow for what it is sent. The channel's high write-buffer water mark is the
 * per-connection cap on queued bytes; when the queue passes it the channel turns unwritable, and this
 * handler closes the connection with {@link CloseCodes#SLOW_CONSUMER} (queued behind what is already
 * pending) and drops every later write, so the server's memory for it stays bounded and the others in
 * its rooms are not held up. One instance per connection, last in the pipeline so it sees every write.
 */
public final class SlowConsumerHandler extends ChannelDuplexHandler {
    private static final Logger LOG = LogManager.getLogger(SlowConsumerHandler.class);
    private static final ClosedChannelException CUT_OFF = new ClosedChannelException();

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

    /**
     * Whether this connection was cut off; writers that enter the pipeline below this handler (the room
     * fast path) check it and send nothing more. Read on the connection's event loop.
     */
    public boolean isCutOff() {
        return cutOff;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (cutOff) {
            ReferenceCountUtil.release(msg);
            if (!promise.isVoid()) {
                promise.tryFailure(CUT_OFF);
            }
            return;
        }
        super.write(ctx, msg, promise);
    }
}
