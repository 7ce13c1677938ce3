package dev.wschat.server.limits;

import dev.wschat.protocol.CloseCodes;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.channels.ClosedChannelException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** FrameLimitHandler turns the decoder's and aggregator's complaints into the close a client sees, and counts them. */
class FrameLimitHandlerTest {
    private final ServerMetrics metrics = new ServerMetrics();

    @AfterEach
    void closeMetrics() {
        metrics.close();
    }

    private EmbeddedChannel channel() {
        return new EmbeddedChannel(new FrameLimitHandler(metrics, 65_536));
    }

    private static void assertClosedWith(EmbeddedChannel channel, int code) {
        CloseWebSocketFrame close = channel.readOutbound();
        assertThat(close).as("a close frame").isNotNull();
        assertThat(close.statusCode()).isEqualTo(code);
        close.release();
        assertThat((Object) channel.readOutbound()).isNull();
    }

    @Test
    void invalidUtf8ClosesWith1007() {
        EmbeddedChannel channel = channel();
        channel.pipeline().fireExceptionCaught(
                new CorruptedWebSocketFrameException(WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "bad UTF-8"));
        assertClosedWith(channel, CloseCodes.INVALID_PAYLOAD);
        assertThat(metrics.rejections(ServerMetrics.Reason.BAD_UTF8)).isEqualTo(1.0);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void aProtocolViolationClosesWith1002() {
        EmbeddedChannel channel = channel();
        channel.pipeline().fireExceptionCaught(
                new CorruptedWebSocketFrameException(WebSocketCloseStatus.PROTOCOL_ERROR, "unmasked frame"));
        assertClosedWith(channel, CloseCodes.PROTOCOL_ERROR);
        assertThat(metrics.rejections(ServerMetrics.Reason.PROTOCOL_ERROR)).isEqualTo(1.0);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void aFrameOverTheDecodersLimitClosesWith1009() {
        EmbeddedChannel channel = channel();
        channel.pipeline().fireExceptionCaught(
                new CorruptedWebSocketFrameException(WebSocketCloseStatus.MESSAGE_TOO_BIG, "too big"));
        assertClosedWith(channel, CloseCodes.MESSAGE_TOO_BIG);
        assertThat(metrics.rejections(ServerMetrics.Reason.TOO_BIG)).isEqualTo(1.0);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void fragmentsReassembledOverTheLimitCloseWith1009() {
        EmbeddedChannel channel = channel();
        channel.pipeline().fireExceptionCaught(new TooLongFrameException("aggregated too long"));
        assertClosedWith(channel, CloseCodes.MESSAGE_TOO_BIG);
        assertThat(metrics.rejections(ServerMetrics.Reason.TOO_BIG)).isEqualTo(1.0);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void aWriteAfterTheCloseIsNotAnError() {
        EmbeddedChannel channel = channel();
        channel.pipeline().fireExceptionCaught(new ClosedChannelException());
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.isOpen()).isTrue();
        channel.checkException();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void anyOtherErrorGoesOnToThePipelinesHandler() {
        EmbeddedChannel channel = channel();
        channel.pipeline().fireExceptionCaught(new IllegalStateException("a bug"));
        assertThatThrownBy(channel::checkException).isInstanceOf(IllegalStateException.class);
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void theHandshakePutsTheUtf8CheckBeforeTheDecoder() {
        EmbeddedChannel channel = new EmbeddedChannel(new WebSocket13FrameDecoder(true, false, 65_536),
                new FrameLimitHandler(metrics, 65_536));
        channel.pipeline().fireUserEventTriggered(
                new WebSocketServerProtocolHandler.HandshakeComplete("/ws", EmptyHttpHeaders.INSTANCE, null));
        assertThat(channel.pipeline().names()).containsSubsequence("utf8-fail-fast",
                channel.pipeline().context(WebSocket13FrameDecoder.class).name());
        assertThat(channel.finish()).isFalse();
    }
}
