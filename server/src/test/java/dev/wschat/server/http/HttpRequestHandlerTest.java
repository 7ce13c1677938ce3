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

/** HttpRequestHandler on an EmbeddedChannel: files, 404s, and upgrades passed on. */
class HttpRequestHandlerTest {
    private final ServerMetrics metrics = new ServerMetrics();
    private final EmbeddedChannel channel = new EmbeddedChannel(new HttpRequestHandler(new StaticFiles(), metrics));

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
        metrics.close();
    }

    private FullHttpResponse get(String uri) {
        channel.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri));
        return channel.readOutbound();
    }

    @Test
    void rootServesTheClientPageWithACsp() {
        FullHttpResponse response = get("/");
        assertThat(response.status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(response.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("text/html; charset=utf-8");
        assertThat(response.headers().get(HttpHeaderNames.CONTENT_SECURITY_POLICY)).contains("default-src 'self'");
        assertThat(response.content().toString(StandardCharsets.UTF_8)).contains("<html");
        response.release();
    }

    @Test
    void unknownPathsAndTraversalAre404() {
        for (String uri : new String[] {"/missing.js", "/../pom.xml", "/%2e%2e/x", "/webroot/index.html/.."}) {
            FullHttpResponse response = get(uri);
            assertThat(response.status()).as(uri).isEqualTo(HttpResponseStatus.NOT_FOUND);
            response.release();
        }
    }

    @Test
    void otherMethodsAre405() {
        channel.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/"));
        FullHttpResponse response = channel.readOutbound();
        assertThat(response.status()).isEqualTo(HttpResponseStatus.METHOD_NOT_ALLOWED);
        response.release();
    }

    @Test
    void upgradeRequestsForTheWebSocketPathsArePassedOn() {
        for (String uri : new String[] {"/", "/ws", "/ws?token=abc"}) {
            FullHttpRequest upgrade = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
            upgrade.headers().set(HttpHeaderNames.CONNECTION, "Upgrade").set(HttpHeaderNames.UPGRADE, "websocket");
            channel.writeInbound(upgrade);
            FullHttpRequest passed = channel.readInbound();
            assertThat(passed).as(uri).isSameAs(upgrade);
            passed.release();
            assertThat((Object) channel.readOutbound()).isNull();
        }
    }

    @Test
    void upgradeRequestsForOtherPathsAre404() {
        FullHttpRequest upgrade = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/chat");
        upgrade.headers().set(HttpHeaderNames.CONNECTION, "Upgrade").set(HttpHeaderNames.UPGRADE, "websocket");
        channel.writeInbound(upgrade);
        FullHttpResponse response = channel.readOutbound();
        assertThat(response.status()).isEqualTo(HttpResponseStatus.NOT_FOUND);
        response.release();
        assertThat((Object) channel.readInbound()).isNull();
    }
}
