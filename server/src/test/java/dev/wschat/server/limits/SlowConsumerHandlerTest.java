package dev.wschat.server.limits;

import dev.wschat.protocol.CloseCodes;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.channels.ClosedChannelException;

import static org.assertj.core.api.Assertions.assertThat;

/** SlowConsumerHandler: past the high water mark a connection gets 4008 behind what was queued, then nothing. */
class SlowConsumerHandlerTest {
    private static final int HIGH = 1_024;
    private final ServerMetrics metrics = new ServerMetrics();

    @AfterEach
    void closeMetrics() {
        metrics.close();
    }

    private EmbeddedChannel channel() {
        EmbeddedChannel channel = new EmbeddedChannel(new CloseGuard(), new SlowConsumerHandler(metrics));
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(HIGH / 2, HIGH));
        return channel;
    }

    private static ByteBuf bytes(int n) {
        return Unpooled.wrappedBuffer(new byte[n]);
    }

    @Test
    void aQueueUnderTheCapIsWrittenAsIs() {
        EmbeddedChannel channel = channel();
        channel.write(bytes(HIGH / 4));
        channel.write(bytes(HIGH / 4));
        channel.flush();
        for (int i = 0; i < 2; i++) {
            ByteBuf out = channel.readOutbound();
            assertThat(out.readableBytes()).isEqualTo(HIGH / 4);
            out.release();
        }
        assertThat(metrics.rejections(ServerMetrics.Reason.SLOW_CONSUMER)).isZero();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void aQueuePastTheCapIsCutOffWith4008AndLaterWritesAreDropped() {
        EmbeddedChannel channel = channel();
        // Unflushed writes stay queued, as they do for a client that stopped reading.
        channel.write(bytes(HIGH / 2));
        channel.write(bytes(HIGH));
        assertThat(metrics.rejections(ServerMetrics.Reason.SLOW_CONSUMER)).isEqualTo(1.0);
        channel.flush();

        ByteBuf first = channel.readOutbound();
        ByteBuf second = channel.readOutbound();
        assertThat(first.readableBytes() + second.readableBytes()).as("what was queued before the cut")
                .isEqualTo(HIGH / 2 + HIGH);
        first.release();
        second.release();
        CloseWebSocketFrame close = channel.readOutbound();
        assertThat(close.statusCode()).isEqualTo(CloseCodes.SLOW_CONSUMER);
        assertThat(close.reasonText()).isEqualTo("Slow consumer");
        close.release();

        // After the Close frame the connection's close guard drops every data frame (RFC 6455 §5.5.1).
        TextWebSocketFrame late = new TextWebSocketFrame("late");
        ChannelFuture write = channel.writeAndFlush(late);
        assertThat(write.cause()).isInstanceOf(ClosedChannelException.class);
        assertThat(late.refCnt()).as("a dropped write is released").isZero();
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(metrics.rejections(ServerMetrics.Reason.SLOW_CONSUMER)).as("counted once").isEqualTo(1.0);
        assertThat(channel.finish()).isFalse();
    }
}
