package dev.wschat.server.limits;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;

import java.nio.channels.ClosedChannelException;

/**
 * A connection's "accepts data" state: cleared when a Close frame passes on its way out, after which no
 * data frame follows it (RFC 6455 §5.5.1). It sits right before the WebSocket protocol handler, so every
 * Close frame written once the handshake completed passes it: the limits' and the auth handler's, the
 * drain's 1001 from the channel, and Netty's own (the answer to a client's Close, the close on
 * {@code channel.close()}). Data frames written through the pipeline after that are dropped here;
 * writers that enter below it (the room fan-out's raw frames, written at the frame encoder) and direct
 * replies check {@link #acceptsData()} first. One instance per connection.
 */
public final class CloseGuard extends ChannelDuplexHandler {
    private static final AttributeKey<CloseGuard> KEY = AttributeKey.valueOf("wschat.closeGuard");
    private static final ClosedChannelException CLOSE_SENT = new ClosedChannelException();

    /** Written on the channel's loop, read by writers on other loops (a direct message). */
    private volatile boolean acceptsData = true;
    /** The first Close frame of the connection: whether the peer sent it, and its status code (-1: none). */
    private boolean closeSeen;
    private boolean closedByPeer;
    private int closeCode = -1;

    /**
     * The guard of a channel, or {@code null} when its pipeline has none (a test's bare channel).
     *
     * @param channel the connection
     * @return its guard or {@code null}
     */
    public static CloseGuard of(Channel channel) {
        return channel.attr(KEY).get();
    }

    /**
     * Whether a data frame may still be written to {@code channel}: no Close frame was written to it yet
     * and it is open.
     *
     * @param channel the connection
     * @return {@code false} once a Close frame was written or the channel closed
     */
    public static boolean acceptsData(Channel channel) {
        CloseGuard guard = of(channel);
        return channel.isActive() && (guard == null || guard.acceptsData);
    }

    /** Whether no Close frame was written yet on this guard's connection. */
    public boolean acceptsData() {
        return acceptsData;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.channel().attr(KEY).set(this);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        ctx.channel().attr(KEY).compareAndSet(this, null);
    }

    /**
     * Whether the connection ended the way a session ends for good: the client closed it with 1000 or without a
     * status code, or the server closed it for a reason other than 1001 (going away: a drain or an idle timeout, after
     * which a client may resume). {@code false} when it dropped without a Close frame. Event-loop only.
     */
    public boolean endedForGood() {
        if (!closeSeen) {
            return false;
        }
        if (closedByPeer) {
            return closeCode == -1 || closeCode == 1000;
        }
        return closeCode != 1001;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof CloseWebSocketFrame close && !closeSeen) {
            closeSeen = true;
            closedByPeer = true;
            closeCode = close.statusCode();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof CloseWebSocketFrame close) {
            if (!closeSeen) {
                closeSeen = true;
                closeCode = close.statusCode();
            }
            acceptsData = false;
        } else if (!acceptsData && isData(msg)) {
            ReferenceCountUtil.release(msg);
            // Never fired down the pipeline as an exception: the connection is closing anyway.
            if (!promise.isVoid()) {
                promise.tryFailure(CLOSE_SENT);
            }
            return;
        }
        ctx.write(msg, promise);
    }

    private static boolean isData(Object msg) {
        return msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame
                || msg instanceof ContinuationWebSocketFrame;
    }
}
