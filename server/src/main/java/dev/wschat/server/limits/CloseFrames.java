package dev.wschat.server.limits;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;

import java.util.concurrent.TimeUnit;

/** Closes a WebSocket connection with a close frame, and without one if the peer does not take it in time. */
final class CloseFrames {
    /** Time a close frame may take to leave before the connection is closed without it. */
    static final long CLOSE_GRACE_MILLIS = 5_000;

    private CloseFrames() {
    }

    /**
     * Writes a close frame from {@code ctx} (so handlers after it are skipped), closes the channel once it
     * is written, and closes it anyway after {@link #CLOSE_GRACE_MILLIS}.
     */
    static void close(ChannelHandlerContext ctx, int code, String reason) {
        Channel ch = ctx.channel();
        ctx.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
        ch.eventLoop().schedule(() -> {
            ch.close();
        }, CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }
}
