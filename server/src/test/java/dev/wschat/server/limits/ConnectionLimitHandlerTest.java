package dev.wschat.server.limits;

import dev.wschat.server.ServerConfig;
import dev.wschat.server.metrics.ServerMetrics;
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

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ConnectionLimitHandler, shared by every connection as in the server: upgrades past a limit get 503 with
 * {@code Retry-After} and a closed connection, plain HTTP always passes. Every EmbeddedChannel has the same
 * remote address, so they count as one client address.
 */
class ConnectionLimitHandlerTest {
    private final ServerMetrics metrics = new ServerMetrics();

    @AfterEach
    void closeMetrics() {
        metrics.close();
    }

    private static EmbeddedChannel channel(ConnectionLimitHandler shared) {
        return new EmbeddedChannel(shared);
    }

    private static FullHttpRequest upgrade() {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/ws");
        request.headers().set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        return request;
    }

    /** Sends an upgrade and tells whether it was let through (and releases it). */
    private static boolean admitted(EmbeddedChannel channel) {
        channel.writeInbound(upgrade());
        FullHttpRequest passed = channel.readInbound();
        if (passed == null) {
            return false;
        }
        passed.release();
        return true;
    }

    private static void assertRefused(EmbeddedChannel channel, String retryAfter) {
        FullHttpResponse response = channel.readOutbound();
        assertThat(response.status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
        assertThat(response.headers().get(HttpHeaderNames.RETRY_AFTER)).isEqualTo(retryAfter);
        assertThat(response.content().toString(StandardCharsets.UTF_8)).contains("retry later");
        response.release();
        assertThat(channel.isOpen()).as("closed after the answer").isFalse();
    }

    @Test
    void pastTheGlobalLimitAnUpgradeGets503UntilAConnectionCloses() {
        ConnectionLimitHandler shared = new ConnectionLimitHandler(ServerConfig.parse("--max-connections", "2",
                "--max-connections-per-address", "0", "--connection-rate", "0").limitSettings(), metrics);
        EmbeddedChannel first = channel(shared);
        EmbeddedChannel second = channel(shared);
        assertThat(admitted(first)).isTrue();
        assertThat(admitted(second)).isTrue();
        assertThat(shared.connections()).isEqualTo(2);

        EmbeddedChannel third = channel(shared);
        assertThat(admitted(third)).isFalse();
        assertRefused(third, "5");
        assertThat(metrics.rejections(ServerMetrics.Reason.CONNECTION_LIMIT)).isEqualTo(1.0);

        assertThat(first.finish()).isFalse();
        assertThat(shared.connections()).isEqualTo(1);
        EmbeddedChannel fourth = channel(shared);
        assertThat(admitted(fourth)).as("the closed connection's slot is free again").isTrue();
        assertThat(second.finish()).isFalse();
        assertThat(fourth.finish()).isFalse();
        assertThat(shared.connections()).isZero();
    }

    @Test
    void pastThePerAddressLimitAnUpgradeGets503() {
        ConnectionLimitHandler shared = new ConnectionLimitHandler(ServerConfig.parse(
                "--max-connections-per-address", "2", "--connection-rate", "0").limitSettings(), metrics);
        EmbeddedChannel a = channel(shared);
        EmbeddedChannel b = channel(shared);
        EmbeddedChannel c = channel(shared);
        assertThat(admitted(a)).isTrue();
        assertThat(admitted(b)).isTrue();
        assertThat(admitted(c)).isFalse();
        assertRefused(c, "5");
        assertThat(metrics.rejections(ServerMetrics.Reason.CONNECTION_LIMIT)).isEqualTo(1.0);
        assertThat(a.finish()).isFalse();
        assertThat(b.finish()).isFalse();
    }

    @Test
    void pastThePerAddressRateAnUpgradeGets503WithRetryAfterOne() {
        ConnectionLimitHandler shared = new ConnectionLimitHandler(ServerConfig.parse("--connection-rate", "1",
                "--connection-burst", "2").limitSettings(), metrics);
        EmbeddedChannel a = channel(shared);
        EmbeddedChannel b = channel(shared);
        EmbeddedChannel c = channel(shared);
        assertThat(admitted(a)).isTrue();
        assertThat(admitted(b)).isTrue();
        assertThat(admitted(c)).isFalse();
        assertRefused(c, "1");
        assertThat(metrics.rejections(ServerMetrics.Reason.CONNECTION_RATE)).isEqualTo(1.0);
        assertThat(a.finish()).isFalse();
        assertThat(b.finish()).isFalse();
    }

    @Test
    void plainHttpPassesAtCapacity() {
        ConnectionLimitHandler shared = new ConnectionLimitHandler(ServerConfig.parse("--max-connections", "1")
                .limitSettings(), metrics);
        EmbeddedChannel member = channel(shared);
        assertThat(admitted(member)).isTrue();
        EmbeddedChannel probe = channel(shared);
        for (int i = 0; i < 3; i++) {
            probe.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/health"));
            FullHttpRequest passed = probe.readInbound();
            assertThat(passed).as("health check %d", i).isNotNull();
            passed.release();
        }
        assertThat(metrics.rejections(ServerMetrics.Reason.CONNECTION_LIMIT)).isZero();
        assertThat(member.finish()).isFalse();
        assertThat(probe.finish()).isFalse();
    }
}
