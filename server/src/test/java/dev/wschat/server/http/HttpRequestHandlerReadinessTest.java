package dev.wschat.server.http;

import dev.wschat.server.metrics.ServerMetrics;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /ready} through the server's phases, including the start-up window a real client can hardly hit. */
class HttpRequestHandlerReadinessTest {
    private final ServerMetrics metrics = new ServerMetrics();
    private final Readiness readiness = new Readiness();
    private final EmbeddedChannel channel = new EmbeddedChannel(new HttpRequestHandler(new StaticFiles(), metrics,
            readiness));

    @AfterEach
    void tearDown() {
        metrics.close();
        assertThat(channel.finish()).isFalse();
    }

    private FullHttpResponse send(FullHttpRequest request) {
        channel.writeInbound(request);
        return channel.readOutbound();
    }

    private static FullHttpRequest get(String uri) {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    }

    private static FullHttpRequest upgrade() {
        FullHttpRequest request = get("/ws");
        request.headers().set(HttpHeaderNames.CONNECTION, "Upgrade").set(HttpHeaderNames.UPGRADE, "websocket");
        return request;
    }

    private static String statusAndBody(FullHttpResponse response) {
        try {
            return response.status().code() + " " + response.content().toString(StandardCharsets.UTF_8);
        } finally {
            response.release();
        }
    }

    @Test
    void startingIs503ForReadyAndForUpgrades() {
        assertThat(statusAndBody(send(get("/ready")))).isEqualTo("503 starting\n");
        assertThat(send(upgrade())).satisfies(r -> {
            assertThat(r.status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
            r.release();
        });
        assertThat(statusAndBody(send(get("/health")))).isEqualTo("200 ok\n");
    }

    @Test
    void readyThenDrainingNeverReady() {
        readiness.ready();
        assertThat(statusAndBody(send(get("/ready")))).isEqualTo("200 ready\n");
        readiness.draining();
        readiness.ready();
        assertThat(statusAndBody(send(get("/ready")))).isEqualTo("503 draining\n");
    }
}
