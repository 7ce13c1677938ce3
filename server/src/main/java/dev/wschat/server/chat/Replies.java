package dev.wschat.server.chat;

import dev.wschat.protocol.CloseCodes;
import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.ErrorCode;
import dev.wschat.protocol.JsonCodec;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.protocol.Timestamps;
import dev.wschat.server.limits.CloseGuard;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;

/**
 * What the chat writes to one connection (room events go through {@link RoomFanout} instead): a message encoded for
 * the connection's dialect, an error reply, and the close of a session resumed elsewhere.
 */
final class Replies {
    private final JsonCodec codec;

    Replies(JsonCodec codec) {
        this.codec = codec;
    }

    /** Writes and flushes one message to one session; skipped when the dialect has no form of it. */
    void send(Session session, ServerMessage message) {
        TextWebSocketFrame frame = frame(session, message);
        if (frame != null) {
            session.channel().writeAndFlush(frame, session.channel().voidPromise());
        }
    }

    /** Writes one message to one session without flushing (a {@link #send} or a flush follows). */
    void write(Session session, ServerMessage message) {
        TextWebSocketFrame frame = frame(session, message);
        if (frame != null) {
            session.channel().write(frame, session.channel().voidPromise());
        }
    }

    /** Refuses what a session asked: an {@code error} with its code, or the text as a system message in dialect 1. */
    void error(Session session, ErrorCode code, String text, String ref) {
        if (session.dialect() == Dialect.TUTORIAL) {
            send(session, new ServerMessage.SystemText(text, Timestamps.now()));
        } else {
            send(session, new ServerMessage.Error(code, text, ref));
        }
    }

    /** Closes a connection whose session was resumed on another connection (4009); on its event loop. */
    static void closeResumed(Channel channel) {
        channel.writeAndFlush(new CloseWebSocketFrame(CloseCodes.SESSION_RESUMED, "Session resumed elsewhere"))
                .addListener(ChannelFutureListener.CLOSE);
    }

    /** The message as a frame for the session, or {@code null} when it takes no data or has no form of it. */
    private TextWebSocketFrame frame(Session session, ServerMessage message) {
        if (!CloseGuard.acceptsData(session.channel())) {
            return null; // a Close frame went out: no data frame may follow it (RFC 6455 §5.5.1)
        }
        String text = codec.encode(message, session.dialect());
        return text == null ? null : new TextWebSocketFrame(text);
    }
}
