package dev.wschat.server.auth;

import dev.wschat.protocol.CloseCodes;
import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.server.testing.HandlerChannel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** AuthSessionHandler on the channel's own clock: 4001 without an identity, 1008 once the token expires. */
class AuthSessionHandlerTest {
    private static final Duration SKEW = Duration.ofSeconds(30);
    private final ServerMetrics metrics = new ServerMetrics();
    /** The handshake events that reached the chat handler's place: a session starts only on one of these. */
    private final List<Object> passedOn = new ArrayList<>();

    @AfterEach
    void closeMetrics() {
        metrics.close();
    }

    /** A connection whose handshake completed, authenticated as {@code identity} (or not, when {@code null}). */
    private EmbeddedChannel handshakeCompleted(Identity identity) {
        return HandlerChannel.of(new AuthSessionHandler(metrics, SKEW),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        passedOn.add(evt);
                    }
                }).frozenTime().attr(Identity.KEY, identity).handshaken("wschat.v2");
    }

    private static void advance(EmbeddedChannel channel, Duration by) {
        channel.advanceTimeBy(by.toMillis(), TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void withoutAnIdentityTheConnectionIsClosed4001AndNeverBecomesASession() {
        EmbeddedChannel channel = handshakeCompleted(null);
        CloseWebSocketFrame close = channel.readOutbound();
        assertThat(close.statusCode()).isEqualTo(CloseCodes.UNAUTHORIZED);
        assertThat(close.reasonText()).isEqualTo(AuthSessionHandler.UNAUTHORIZED_REASON);
        close.release();
        assertThat(channel.isOpen()).isFalse();
        assertThat(passedOn).isEmpty();
        assertThat(metrics.rejections(ServerMetrics.Reason.AUTH_FAILED)).isEqualTo(1.0);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void anAuthenticatedConnectionIsClosed1008WhenItsTokenExpiresPlusTheSkew() {
        Duration ttl = Duration.ofMinutes(5);
        EmbeddedChannel channel = handshakeCompleted(new Identity("alice", "Alice", Instant.now().plus(ttl)));
        assertThat(passedOn).singleElement().isInstanceOf(WebSocketServerProtocolHandler.HandshakeComplete.class);

        // A few milliseconds of real time pass between the identity and the schedule: stop a second short.
        advance(channel, ttl.plus(SKEW).minusSeconds(1));
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.isOpen()).isTrue();

        advance(channel, Duration.ofSeconds(1));
        CloseWebSocketFrame close = channel.readOutbound();
        assertThat(close.statusCode()).isEqualTo(CloseCodes.POLICY_VIOLATION);
        assertThat(close.reasonText()).isEqualTo(AuthSessionHandler.TOKEN_EXPIRED_REASON);
        close.release();
        assertThat(channel.isOpen()).isFalse();
        assertThat(metrics.rejections(ServerMetrics.Reason.TOKEN_EXPIRED)).isEqualTo(1.0);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void aConnectionClosedBeforeItsTokenExpiresIsNotCounted() {
        EmbeddedChannel channel = handshakeCompleted(new Identity("bob", null, Instant.now().plusSeconds(60)));
        channel.close();
        advance(channel, Duration.ofHours(1));
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(metrics.rejections(ServerMetrics.Reason.TOKEN_EXPIRED)).isZero();
        assertThat(channel.finish()).isFalse();
    }
}
