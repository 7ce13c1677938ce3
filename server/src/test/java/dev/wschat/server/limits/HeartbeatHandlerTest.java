package dev.wschat.server.limits;

import dev.wschat.protocol.CloseCodes;
import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.server.testing.HandlerChannel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.timeout.IdleStateHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HeartbeatHandler on the channel's own clock: a ping after one silent interval, 1001 after two, each at most a
 * quarter interval late (the loop's timer ticks four times per interval).
 */
class HeartbeatHandlerTest {
    private static final long INTERVAL_SECONDS = 30;
    /** One timer tick: a quarter of the interval. */
    private static final long TICK_MILLIS = INTERVAL_SECONDS * 1000 / 4;
    private final ServerMetrics metrics = new ServerMetrics();

    @AfterEach
    void closeMetrics() {
        metrics.close();
    }

    /** A connection whose WebSocket handshake just completed, on heartbeats. */
    private static EmbeddedChannel channel(HeartbeatHandler.Heartbeats heartbeats) {
        EmbeddedChannel channel = HandlerChannel.of().frozenTime().build();
        heartbeats.start(channel.pipeline());
        return channel;
    }

    private HeartbeatHandler.Heartbeats heartbeats(Duration interval) {
        return new HeartbeatHandler.Heartbeats(interval, metrics);
    }

    private static void advanceMillis(EmbeddedChannel channel, long millis) {
        channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void aSilentConnectionIsPingedThenClosed1001() {
        EmbeddedChannel channel = channel(heartbeats(Duration.ofSeconds(INTERVAL_SECONDS)));
        advanceMillis(channel, INTERVAL_SECONDS * 1000);
        assertThat((Object) channel.readOutbound()).as("no ping within one interval").isNull();
        advanceMillis(channel, TICK_MILLIS);
        WebSocketFrame ping = channel.readOutbound();
        assertThat(ping).as("pinged by a quarter interval later").isInstanceOf(PingWebSocketFrame.class);
        ping.release();
        assertThat(metrics.rejections(ServerMetrics.Reason.IDLE_TIMEOUT)).isZero();

        advanceMillis(channel, INTERVAL_SECONDS * 1000 - TICK_MILLIS);
        assertThat((Object) channel.readOutbound()).as("not closed within two intervals").isNull();
        advanceMillis(channel, TICK_MILLIS);
        CloseWebSocketFrame close = channel.readOutbound();
        assertThat(close.statusCode()).isEqualTo(CloseCodes.GOING_AWAY);
        assertThat(close.reasonText()).isEqualTo("Idle timeout");
        close.release();
        assertThat(metrics.rejections(ServerMetrics.Reason.IDLE_TIMEOUT)).isEqualTo(1.0);

        // However long the close handshake takes, there is one close.
        advanceMillis(channel, INTERVAL_SECONDS * 1000);
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(metrics.rejections(ServerMetrics.Reason.IDLE_TIMEOUT)).isEqualTo(1.0);
        channel.finishAndReleaseAll();
    }

    @Test
    void anyReadIsLifeAndPutsThePingOff() {
        EmbeddedChannel channel = channel(heartbeats(Duration.ofSeconds(INTERVAL_SECONDS)));
        for (int i = 0; i < 5; i++) {
            advanceMillis(channel, INTERVAL_SECONDS * 1000 - 1_000);
            assertThat(channel.writeInbound(new PongWebSocketFrame())).as("the pong goes on").isTrue();
            WebSocketFrame pong = channel.readInbound();
            pong.release();
        }
        assertThat((Object) channel.readOutbound()).as("never pinged").isNull();
        assertThat(channel.isOpen()).isTrue();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void oneHandlerAtTheHeadAndNoIdleStateHandler() {
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        heartbeats(Duration.ofSeconds(INTERVAL_SECONDS)).start(channel.pipeline());
        assertThat(channel.pipeline().names().get(0)).isEqualTo(HeartbeatHandler.NAME);
        assertThat(channel.pipeline().toMap().values()).noneMatch(h -> h instanceof IdleStateHandler);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void aClosedConnectionLeavesTheTimerAndIsNeverPinged() {
        HeartbeatHandler.Heartbeats heartbeats = heartbeats(Duration.ofSeconds(INTERVAL_SECONDS));
        EmbeddedChannel channel = channel(heartbeats);
        assertThat(heartbeats.connections()).isEqualTo(1);
        channel.close();
        assertThat(heartbeats.connections()).isZero();
        advanceMillis(channel, 3 * INTERVAL_SECONDS * 1000);
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(metrics.rejections(ServerMetrics.Reason.IDLE_TIMEOUT)).isZero();
    }

    @Test
    void aZeroIntervalTurnsHeartbeatsOff() {
        HeartbeatHandler.Heartbeats heartbeats = heartbeats(Duration.ZERO);
        EmbeddedChannel channel = channel(heartbeats);
        assertThat(channel.pipeline().get(HeartbeatHandler.NAME)).isNull();
        advanceMillis(channel, 3_600_000);
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.isOpen()).isTrue();
        assertThat(channel.finish()).isFalse();
    }
}
