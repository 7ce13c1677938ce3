package dev.wschat.server.limits;

import dev.wschat.protocol.CloseCodes;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** HeartbeatHandler on the channel's own clock: a ping after one silent interval, 1001 after two. */
class HeartbeatHandlerTest {
    private static final long INTERVAL_SECONDS = 30;
    private final ServerMetrics metrics = new ServerMetrics();

    @AfterEach
    void closeMetrics() {
        metrics.close();
    }

    /** A connection whose WebSocket handshake just completed. */
    private EmbeddedChannel channel(Duration interval) {
        EmbeddedChannel channel = new EmbeddedChannel(new HeartbeatHandler(interval, metrics));
        channel.freezeTime();
        channel.pipeline().fireUserEventTriggered(
                new WebSocketServerProtocolHandler.HandshakeComplete("/ws", EmptyHttpHeaders.INSTANCE, null));
        return channel;
    }

    private static void advance(EmbeddedChannel channel, long seconds) {
        channel.advanceTimeBy(seconds, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void aSilentConnectionIsPingedThenClosed1001() {
        EmbeddedChannel channel = channel(Duration.ofSeconds(INTERVAL_SECONDS));
        advance(channel, INTERVAL_SECONDS - 1);
        assertThat((Object) channel.readOutbound()).isNull();
        advance(channel, 1);
        WebSocketFrame ping = channel.readOutbound();
        assertThat(ping).isInstanceOf(PingWebSocketFrame.class);
        ping.release();
        assertThat(metrics.rejections(ServerMetrics.Reason.IDLE_TIMEOUT)).isZero();

        advance(channel, INTERVAL_SECONDS);
        CloseWebSocketFrame close = channel.readOutbound();
        assertThat(close.statusCode()).isEqualTo(CloseCodes.GOING_AWAY);
        assertThat(close.reasonText()).isEqualTo("Idle timeout");
        close.release();
        assertThat(metrics.rejections(ServerMetrics.Reason.IDLE_TIMEOUT)).isEqualTo(1.0);

        // However often the idle handler fires while the close handshake runs, there is one close.
        advance(channel, INTERVAL_SECONDS);
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(metrics.rejections(ServerMetrics.Reason.IDLE_TIMEOUT)).isEqualTo(1.0);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void aPongIsLifeAndPutsThePingOff() {
        EmbeddedChannel channel = channel(Duration.ofSeconds(INTERVAL_SECONDS));
        for (int i = 0; i < 5; i++) {
            advance(channel, INTERVAL_SECONDS - 1);
            assertThat(channel.writeInbound(new PongWebSocketFrame())).as("the pong goes on").isTrue();
            WebSocketFrame pong = channel.readInbound();
            pong.release();
        }
        assertThat((Object) channel.readOutbound()).as("never pinged").isNull();
        assertThat(channel.isOpen()).isTrue();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void aZeroIntervalTurnsHeartbeatsOff() {
        EmbeddedChannel channel = channel(Duration.ZERO);
        assertThat(channel.pipeline().get(HeartbeatHandler.IDLE_HANDLER_NAME)).isNull();
        advance(channel, 3_600);
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.isOpen()).isTrue();
        assertThat(channel.finish()).isFalse();
    }
}
