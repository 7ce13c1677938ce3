package dev.wschat.server.auth;

import dev.wschat.server.ServerConfig;
import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.server.testing.TestClient;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HandshakeGuard on an EmbeddedChannel: a foreign origin gets 403, an upgrade past the verification queue gets
 * 503 with {@code Retry-After}, other requests pass untouched. Verifications that finish on a verifier thread
 * are covered end to end by {@link AuthenticationTest}.
 */
class HandshakeGuardTest {
    private final ServerMetrics metrics = new ServerMetrics();
    private final HeldVerifiers threads = new HeldVerifiers();

    @AfterEach
    void tearDown() {
        threads.release();
        metrics.close();
    }

    private EmbeddedChannel channel(List<String> origins, JwtAuthenticator authenticator) {
        return new EmbeddedChannel(new HandshakeGuard(new OriginPolicy(origins), authenticator, null, metrics));
    }

    private static FullHttpRequest upgrade(String origin, String token) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                token == null ? "/ws" : "/ws?token=" + token);
        request.headers().set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        if (origin != null) {
            request.headers().set(HttpHeaderNames.ORIGIN, origin);
        }
        return request;
    }

    private static FullHttpResponse refusal(EmbeddedChannel channel, HttpResponseStatus status) {
        FullHttpResponse response = channel.readOutbound();
        assertThat(response).as("an HTTP refusal").isNotNull();
        assertThat(response.status()).isEqualTo(status);
        assertThat(response.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(channel.isOpen()).as("closed after the answer").isFalse();
        return response;
    }

    @Test
    void aForeignOriginGets403AndIsCounted() {
        EmbeddedChannel channel = channel(List.of("https://chat.example.com"), null);
        FullHttpRequest request = upgrade("https://evil.example", null);
        channel.writeInbound(request);
        assertThat(request.refCnt()).as("the refused request is released").isZero();
        assertThat((Object) channel.readInbound()).isNull();
        refusal(channel, HttpResponseStatus.FORBIDDEN).release();
        assertThat(metrics.rejections(ServerMetrics.Reason.ORIGIN_REFUSED)).isEqualTo(1.0);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void aListedOriginNoOriginAndPlainHttpPassUntouched() {
        EmbeddedChannel channel = channel(List.of("https://chat.example.com"), null);
        for (FullHttpRequest request : List.of(upgrade("https://CHAT.example.com", null), upgrade(null, null),
                (FullHttpRequest) new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/health"))) {
            channel.writeInbound(request);
            FullHttpRequest passed = channel.readInbound();
            assertThat(passed).isSameAs(request);
            passed.release();
        }
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(metrics.rejections(ServerMetrics.Reason.ORIGIN_REFUSED)).isZero();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void anUpgradePastTheVerificationQueueGets503WithRetryAfter() throws Exception {
        JwtAuthenticator authenticator = JwtAuthenticator.create(ServerConfig.parse("--jwt-secret", TestTokens.SECRET,
                "--auth-queue", "1").authSettings(), threads);
        EmbeddedChannel channel = channel(List.of(), authenticator);
        // Every verifier thread busy and the one queue slot taken, as in a reconnect storm.
        List<CompletableFuture<Identity>> earlier = new ArrayList<>();
        for (int i = 0; i <= JwtAuthenticator.VERIFIER_THREADS; i++) {
            earlier.add(authenticator.verifyAsync(TestTokens.hs256("user-" + i, null, Duration.ofMinutes(5))));
        }
        assertThat(threads.awaitHeld(JwtAuthenticator.VERIFIER_THREADS)).isTrue();
        assertThat(metrics.scrape()).contains("wschat_auth_verifications_queued 1.0");

        FullHttpRequest request = upgrade(null, TestTokens.hs256("late", "Late", Duration.ofMinutes(5)));
        channel.writeInbound(request);
        channel.runPendingTasks();
        FullHttpResponse busy = refusal(channel, HttpResponseStatus.SERVICE_UNAVAILABLE);
        assertThat(busy.headers().get(HttpHeaderNames.RETRY_AFTER)).isEqualTo("1");
        busy.release();
        assertThat(request.refCnt()).isZero();
        assertThat((Object) channel.readInbound()).as("the refused upgrade goes no further").isNull();
        assertThat(metrics.rejections(ServerMetrics.Reason.AUTH_QUEUE_FULL)).isEqualTo(1.0);
        assertThat(metrics.rejections(ServerMetrics.Reason.AUTH_FAILED)).isZero();

        threads.release();
        for (CompletableFuture<Identity> f : earlier) {
            assertThat(f).as("the handshakes before it are verified").succeedsWithin(TestClient.TIMEOUT);
        }
        assertThat(channel.finish()).isFalse();
    }
}
