package dev.wschat.server.auth;

import dev.wschat.server.ChatServer;
import dev.wschat.server.ServerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The origin allow-list at the handshake, observed by a real JDK WebSocket client: HTTP 403 or a welcome. */
class OriginTest {
    private final List<AutoCloseable> open = new ArrayList<>();
    private ChatServer server;

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    private void start(List<String> origins) throws InterruptedException {
        server = new ChatServer(ServerConfig.parse("--host", "127.0.0.1", "--port", "0", "--drain-timeout", "2000", "--allowed-origins", String.join(",", origins))).start();
    }

    private URI ws() {
        return URI.create("ws://127.0.0.1:" + server.port() + "/ws");
    }

    private HandshakeClient connect(Map<String, String> headers) throws Exception {
        HandshakeClient client = HandshakeClient.connect(ws(), headers);
        open.add(client);
        return client;
    }

    @Test
    void withoutAListEveryOriginIsAcceptedIncludingAFilePage() throws Exception {
        start(List.of());
        connect(Map.of("Origin", "https://anywhere.example")).welcome();
        connect(Map.of("Origin", "null")).welcome();
        connect(Map.of()).welcome();
    }

    @Test
    void anOriginNotOnTheListGets403AndIsCounted() throws Exception {
        start(List.of("https://chat.example.com", "http://localhost:8080"));
        assertThat(HandshakeClient.refusedStatus(ws(), Map.of("Origin", "https://evil.example"))).isEqualTo(403);
        assertThat(HandshakeClient.refusedStatus(ws(), Map.of("Origin", "https://chat.example.com.evil.example")))
                .isEqualTo(403);
        assertThat(HandshakeClient.refusedStatus(ws(), Map.of("Origin", "http://chat.example.com"))).isEqualTo(403);
        assertThat(HandshakeClient.refusedStatus(ws(), Map.of("Origin", "null"))).isEqualTo(403);
        assertThat(HandshakeClient.rejections("http://127.0.0.1:" + server.port(), "origin_refused")).isEqualTo(4.0);
    }

    @Test
    void listedOriginsAreAcceptedIgnoringCase() throws Exception {
        start(List.of("https://Chat.Example.com", "http://localhost:8080", "null"));
        connect(Map.of("Origin", "https://chat.example.com")).welcome();
        connect(Map.of("Origin", "HTTP://LOCALHOST:8080")).welcome();
        connect(Map.of("Origin", "null")).welcome();
        assertThat(HandshakeClient.rejections("http://127.0.0.1:" + server.port(), "origin_refused")).isZero();
    }

    @Test
    void aClientSendingNoOriginIsNotABrowserAndIsAccepted() throws Exception {
        start(List.of("https://chat.example.com"));
        connect(Map.of()).welcome();
    }
}
