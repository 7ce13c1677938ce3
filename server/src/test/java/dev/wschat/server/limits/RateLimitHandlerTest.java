package dev.wschat.server.limits;

import com.google.gson.JsonObject;
import dev.wschat.protocol.CloseCodes;
import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.ServerConfig;
import dev.wschat.server.chat.Session;
import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.server.testing.HandlerChannel;
import dev.wschat.server.testing.InProcessChat;
import dev.wschat.server.testing.Outbound;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** RateLimitHandler before the real chat handler: what passes is echoed, what does not is answered or closed. */
class RateLimitHandlerTest {
    // One token a second: no refill while a test runs, so every count below is exact.
    @AutoClose
    private final InProcessChat chat = InProcessChat.start("--message-rate", "1", "--message-burst", "3",
            "--rate-limit-strikes", "3");
    private final ServerMetrics metrics = chat.metrics();

    /** A v2 session past its welcome and lobby presence. */
    private EmbeddedChannel channel() {
        EmbeddedChannel channel = channel(chat.config());
        assertThat(Outbound.message(channel, Dialect.V2)).isInstanceOf(ServerMessage.Welcome.class);
        assertThat(Outbound.message(channel, Dialect.V2)).isInstanceOf(ServerMessage.Presence.class);
        assertThat(Outbound.message(channel, Dialect.V2)).isInstanceOf(ServerMessage.History.class);
        return channel;
    }

    /** The rate limit of {@code limits} before the service's chat handler, the v2 handshake completed. */
    private EmbeddedChannel channel(ServerConfig limits) {
        return HandlerChannel.of(new RateLimitHandler(limits.limitSettings(),
                (ch, e) -> chat.service().send(Session.of(ch), e), metrics), chat.handler()).handshaken("wschat.v2");
    }

    private static TextWebSocketFrame chat(int i) {
        return new TextWebSocketFrame("{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"m" + i + "\"}");
    }


    @Test
    void theBurstPassesAndTheNextMessageIsDroppedWithWhenToRetry() {
        EmbeddedChannel channel = channel();
        for (int i = 0; i < 3; i++) {
            channel.writeInbound(chat(i));
            assertThat(Outbound.json(channel).get("message").getAsString()).isEqualTo("m" + i);
        }
        TextWebSocketFrame dropped = chat(3);
        channel.writeInbound(dropped);
        assertThat(dropped.refCnt()).as("the dropped frame is released").isZero();
        JsonObject error = Outbound.json(channel);
        assertThat(error.get("type").getAsString()).isEqualTo("error");
        assertThat(error.get("code").getAsString()).isEqualTo("rate_limited");
        assertThat(error.get("retryAfterMs").getAsLong()).isBetween(1L, 1_000L);
        assertThat((Object) channel.readOutbound()).as("the dropped message reached no room").isNull();
        assertThat(metrics.rejections(ServerMetrics.Reason.RATE_LIMITED)).isEqualTo(1.0);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void strikesInARowCloseWith1008AndLaterMessagesAreDroppedSilently() {
        EmbeddedChannel channel = channel();
        for (int i = 0; i < 3; i++) {
            channel.writeInbound(chat(i));
            Outbound.json(channel);
        }
        channel.writeInbound(chat(3));
        channel.writeInbound(chat(4));
        assertThat(Outbound.json(channel).get("code").getAsString()).isEqualTo("rate_limited");
        assertThat(Outbound.json(channel).get("code").getAsString()).isEqualTo("rate_limited");
        channel.writeInbound(chat(5));
        CloseWebSocketFrame close = channel.readOutbound();
        assertThat(close.statusCode()).isEqualTo(CloseCodes.POLICY_VIOLATION);
        assertThat(close.reasonText()).isEqualTo("Rate limit exceeded");
        close.release();
        TextWebSocketFrame afterClose = chat(6);
        channel.writeInbound(afterClose);
        assertThat(afterClose.refCnt()).isZero();
        assertThat((Object) channel.readOutbound()).as("nothing after the close frame").isNull();
        assertThat(metrics.rejections(ServerMetrics.Reason.RATE_LIMITED)).isEqualTo(3.0);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void aRateOfZeroTurnsTheLimitOff() {
        EmbeddedChannel channel = channel(ServerConfig.parse("--message-rate", "0"));
        Outbound.json(channel); // past the welcome, the lobby's presence and its history
        Outbound.json(channel);
        Outbound.json(channel);
        for (int i = 0; i < 50; i++) {
            channel.writeInbound(chat(i));
            assertThat(Outbound.json(channel).get("message").getAsString()).isEqualTo("m" + i);
        }
        assertThat(metrics.rejections(ServerMetrics.Reason.RATE_LIMITED)).isZero();
        assertThat(channel.finish()).isFalse();
    }
}
