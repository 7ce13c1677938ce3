package dev.wschat.server.limits;

import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.server.testing.RawWebSocket;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Admission under overload against the real server: with one event loop and {@code --max-pending-handshakes 2},
 * two connections that have not finished their handshake fill the loop; every handshake past them is answered
 * 503 with {@code Retry-After} at once, plain HTTP still passes, and once the slots free up every refused client
 * that retries is admitted and chats.
 */
class HandshakeAdmissionTest {
    @RegisterExtension
    final RunningServer server = RunningServer.withOptions("--threads", "1", "--max-pending-handshakes", "2",
            "--max-connections-per-address", "0", "--connection-rate", "0");
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
    }

    private Socket socket() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), (int) TestClient.TIMEOUT.toMillis());
        s.setSoTimeout((int) TestClient.TIMEOUT.toMillis());
        sockets.add(s);
        return s;
    }

    /** Sends {@code request} on a new connection and returns the response head (status line and headers). */
    private String exchange(String request) throws IOException {
        Socket s = socket();
        s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        s.close();
        return head.toString(StandardCharsets.US_ASCII);
    }

    private String upgrade() throws IOException {
        return exchange("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Protocol: wschat.v2\r\n\r\n");
    }

    @Test
    void handshakesPastTheBoundGet503WithRetryAfterAndAreAdmittedWhenTheyRetry() throws IOException {
        // two connections that never send their request hold the loop's two slots
        socket();
        socket();
        await().atMost(TestClient.TIMEOUT).until(() -> upgrade().startsWith("HTTP/1.1 503"));
        double before = server.rejections(ServerMetrics.Reason.HANDSHAKE_OVERLOAD);

        int burst = 20;
        for (int i = 0; i < burst; i++) {
            String answer = upgrade();
            assertThat(answer).startsWith("HTTP/1.1 503").contains("Retry-After: 1").contains("Connection: close");
        }
        assertThat(server.rejections(ServerMetrics.Reason.HANDSHAKE_OVERLOAD)).isEqualTo(before + burst);
        // plain HTTP is not a handshake: it is served at the bound
        assertThat(exchange("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200");

        // the slots free up: every refused client retries and is admitted, and an upgraded connection gives its
        // slot back, so all of them stay connected together
        for (Socket s : sockets) {
            s.close();
        }
        sockets.clear();
        List<RawWebSocket> admitted = new ArrayList<>();
        for (int i = 0; i < burst; i++) {
            RawWebSocket raw = await().atMost(TestClient.TIMEOUT).ignoreExceptions()
                    .until(() -> RawWebSocket.connect(server.port()), r -> r != null);
            server.closeLater(raw);
            admitted.add(raw);
            assertThat(raw.read().text()).contains("\"welcome\"");
        }
        RawWebSocket last = admitted.get(burst - 1);
        last.send(true, RawWebSocket.TEXT, "{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"made it\"}"
                .getBytes(StandardCharsets.UTF_8));
        await().atMost(TestClient.TIMEOUT).until(() -> last.read().text().contains("made it"));
    }
}
