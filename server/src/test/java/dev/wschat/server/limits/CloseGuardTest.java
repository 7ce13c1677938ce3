package dev.wschat.server.limits;

import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.junit.jupiter.api.Test;

import java.nio.channels.ClosedChannelException;

import static org.assertj.core.api.Assertions.assertThat;

/** CloseGuard on an EmbeddedChannel: data passes until a Close frame does, then only control frames. */
class CloseGuardTest {
    @Test
    void dataPassesUntilACloseFrameThenIsDroppedAndReleased() {
        CloseGuard guard = new CloseGuard();
        EmbeddedChannel channel = new EmbeddedChannel(guard);
        assertThat(CloseGuard.of(channel)).isSameAs(guard);
        assertThat(CloseGuard.acceptsData(channel)).isTrue();

        channel.writeOutbound(new TextWebSocketFrame("before"));
        TextWebSocketFrame before = channel.readOutbound();
        assertThat(before.text()).isEqualTo("before");
        before.release();

        channel.writeOutbound(new CloseWebSocketFrame(1008, "Rate limit exceeded"));
        assertThat(guard.acceptsData()).isFalse();
        assertThat(CloseGuard.acceptsData(channel)).isFalse();
        CloseWebSocketFrame close = channel.readOutbound();
        assertThat(close.statusCode()).isEqualTo(1008);
        close.release();

        for (WebSocketFrame data : new WebSocketFrame[] {new TextWebSocketFrame("after"),
                new BinaryWebSocketFrame(), new ContinuationWebSocketFrame()}) {
            ChannelFuture write = channel.writeAndFlush(data);
            assertThat(write.cause()).isInstanceOf(ClosedChannelException.class);
            assertThat(data.refCnt()).as("released").isZero();
        }
        channel.writeAndFlush(new TextWebSocketFrame("quietly"), channel.voidPromise());
        assertThat((Object) channel.readOutbound()).as("no data frame after the Close frame").isNull();

        channel.writeOutbound(new PingWebSocketFrame());
        PingWebSocketFrame ping = channel.readOutbound();
        assertThat(ping).as("control frames still pass").isNotNull();
        ping.release();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void aClosedChannelAcceptsNoData() {
        EmbeddedChannel channel = new EmbeddedChannel(new CloseGuard());
        channel.close();
        assertThat(CloseGuard.acceptsData(channel)).isFalse();
        assertThat(channel.finish()).isFalse();
    }
}
