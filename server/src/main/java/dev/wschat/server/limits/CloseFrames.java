package dev.wschat.server.limits;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;

import java.util.concurrent.TimeUnit;

/**
 * Closes a WebSocket connection the way RFC 6455 asks: a close frame, then the TCP connection once the
 * peer answers with its own (Netty's protocol handler closes on that answer). Closing the socket right
 * after the frame would reset a peer whose data is still in flight, and the reset can destroy the close
 * frame before the peer reads it. A peer that does not answer within {@link #CLOSE_GRACE_MILLIS} is
 * closed without more ado. Netty's {@code forceCloseTimeoutMillis} does not do this: for a close frame a
 * handler writes, it only fails the close-sent promise when the frame itself is not written in time and
 * closes nothing (it closes only on the path where Netty sends the frame for {@code channel.close()}).
 * No data frame follows the close frame: see {@link CloseGuard}.
 */
final class CloseFrames {
    /** Time a peer has to answer a close frame (or to read it, when it is slow) before the socket is closed. */
    static final long CLOSE_GRACE_MILLIS = 5_000;

    private CloseFrames() {
    }

    /** Writes a close frame from {@code ctx}, so handlers after it are skipped, and closes after the grace. */
    static void close(ChannelHandlerContext ctx, int code, String reason) {
        ctx.writeAndFlush(new CloseWebSocketFrame(code, reason));
        closeAfterGrace(ctx.channel());
    }

    /** Writes a close frame from the tail of the pipeline (a handler before the encoder) and closes after the grace. */
    static void close(Channel ch, int code, String reason) {
        ch.writeAndFlush(new CloseWebSocketFrame(code, reason));
        closeAfterGrace(ch);
    }

    private static void closeAfterGrace(Channel ch) {
        ch.eventLoop().schedule(() -> {
            ch.close();
        }, CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }
}
