package dev.wschat.server.limits;

import dev.wschat.server.metrics.ServerMetrics;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** HandshakeTimeoutHandler on the channel's own clock: each request must be complete within the timeout. */
class HandshakeTimeoutHandlerTest {
    private static final long TIMEOUT_MILLIS = 500;
    private final ServerMetrics metrics = new ServerMetrics();

    @AfterEach
    void closeMetrics() {
        metrics.close();
    }

    private final MockTicker clock = Ticker.newMockTicker();

    /** A connection just accepted, on a clock of its own so the timeout falls exactly where the test says. */
    private EmbeddedChannel channel() {
        return EmbeddedChannel.builder().ticker(clock)
                .handlers(new HandshakeTimeoutHandler(Duration.ofMillis(TIMEOUT_MILLIS), metrics)).build();
    }

    private void advance(EmbeddedChannel channel, long millis) {
        clock.advance(millis, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }

    private static FullHttpRequest request() {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/ws");
    }

    @Test
    void aConnectionWithoutACompleteRequestIsClosedAtTheTimeoutAndCounted() {
        EmbeddedChannel channel = channel();
        advance(channel, TIMEOUT_MILLIS - 1);
        assertThat(channel.isOpen()).isTrue();
        advance(channel, 1);
        assertThat(channel.isOpen()).isFalse();
        assertThat(metrics.rejections(ServerMetrics.Reason.HANDSHAKE_TIMEOUT)).isEqualTo(1.0);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void eachCompleteRequestStartsTheTimeoutAgain() {
        EmbeddedChannel channel = channel();
        for (int i = 0; i < 3; i++) {
            advance(channel, TIMEOUT_MILLIS - 100);
            channel.writeInbound(request());
            FullHttpRequest passed = channel.readInbound();
            passed.release();
        }
        assertThat(channel.isOpen()).as("a kept-alive connection with requests in time").isTrue();
        advance(channel, TIMEOUT_MILLIS);
        assertThat(channel.isOpen()).as("idle for the timeout after its last request").isFalse();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void theUpgradeAnswerEndsTheTimeout() {
        EmbeddedChannel channel = channel();
        channel.writeInbound(request());
        FullHttpRequest passed = channel.readInbound();
        passed.release();
        FullHttpResponse upgrade = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.SWITCHING_PROTOCOLS);
        channel.writeOutbound(upgrade);
        FullHttpResponse written = channel.readOutbound();
        written.release();
        assertThat(channel.pipeline().get(HandshakeTimeoutHandler.class)).as("removed itself").isNull();
        advance(channel, 10 * TIMEOUT_MILLIS);
        assertThat(channel.isOpen()).isTrue();
        assertThat(metrics.rejections(ServerMetrics.Reason.HANDSHAKE_TIMEOUT)).isZero();
        assertThat(channel.finish()).isFalse();
    }
}
