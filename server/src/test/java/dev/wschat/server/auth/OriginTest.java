package dev.wschat.server.auth;

import dev.wschat.server.metrics.ServerMetrics.Reason;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/** The origin allow-list at the handshake, observed by a real JDK WebSocket client: HTTP 403 or a welcome. */
class OriginTest {
    @RegisterExtension
    final RunningServer server = RunningServer.startedByEachTest();

    private void start(String... origins) {
        if (origins.length == 0) {
            server.startWith();
        } else {
            server.startWith("--allowed-origins", String.join(",", origins));
        }
    }

    private TestClient.Connect from(String origin) {
        TestClient.Connect connect = TestClient.to(server.ws("/ws")).subprotocol(TestClient.V2);
        return origin == null ? connect : connect.header("Origin", origin);
    }

    private void welcomedFrom(String origin) {
        server.connect(from(origin)).welcome();
    }

    @Test
    void withoutAListEveryOriginIsAcceptedIncludingAFilePage() {
        start();
        welcomedFrom("https://anywhere.example");
        welcomedFrom("null");
        welcomedFrom(null);
    }

    @Test
    void anOriginNotOnTheListGets403AndIsCounted() {
        start("https://chat.example.com", "http://localhost:8080");
        assertThat(from("https://evil.example").handshakeStatus()).isEqualTo(403);
        assertThat(from("https://chat.example.com.evil.example").handshakeStatus()).isEqualTo(403);
        assertThat(from("http://chat.example.com").handshakeStatus()).isEqualTo(403);
        assertThat(from("null").handshakeStatus()).isEqualTo(403);
        assertThat(server.rejections(Reason.ORIGIN_REFUSED)).isEqualTo(4.0);
    }

    @Test
    void listedOriginsAreAcceptedIgnoringCase() {
        start("https://Chat.Example.com", "http://localhost:8080", "null");
        welcomedFrom("https://chat.example.com");
        welcomedFrom("HTTP://LOCALHOST:8080");
        welcomedFrom("null");
        assertThat(server.rejections(Reason.ORIGIN_REFUSED)).isZero();
    }

    @Test
    void aClientSendingNoOriginIsNotABrowserAndIsAccepted() {
        start("https://chat.example.com");
        welcomedFrom(null);
    }
}
