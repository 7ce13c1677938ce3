package dev.wschat.server;

import dev.wschat.server.metrics.ServerMetrics.Reason;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Connection limits and the handshake timeout, as a client sees them: HTTP 503, closed sockets, counters. */
class ConnectionLimitTest {
    @RegisterExtension
    final RunningServer server = RunningServer.startedByEachTest();

    @Test
    void aHandshakePastTheGlobalLimitGets503UntilAConnectionCloses() throws Exception {
        server.startWith("--max-connections", "2", "--max-connections-per-address", "0",
                "--connection-rate", "0");
        server.connect().welcome();
        TestClient second = server.connect();
        second.welcome();
        assertThat(server.handshakeStatus()).isEqualTo(503);
        assertThat(server.rejections(Reason.CONNECTION_LIMIT)).isEqualTo(1);
        // Plain HTTP is not limited: health checks and scrapes still work at capacity.
        assertThat(server.get("/health").statusCode()).isEqualTo(200);

        second.sendClose(1000, "bye").awaitClose();
        // The server frees the slot when it sees the connection end, a moment after the close handshake.
        await().atMost(TestClient.TIMEOUT).until(server::handshakeStatus, status -> status == 101);
    }

    @Test
    void aHandshakePastThePerAddressLimitGets503() throws Exception {
        server.startWith("--max-connections-per-address", "3", "--connection-rate", "0");
        for (int i = 0; i < 3; i++) {
            server.connect().welcome();
        }
        assertThat(server.handshakeStatus()).isEqualTo(503);
        assertThat(server.rejections(Reason.CONNECTION_LIMIT)).isEqualTo(1);
    }

    @Test
    void newConnectionsPastThePerAddressRateGet503() throws Exception {
        server.startWith("--connection-rate", "1", "--connection-burst", "3");
        for (int i = 0; i < 3; i++) {
            server.connect().welcome();
        }
        // The bucket refills at one per second, so the next handshakes right away are refused.
        assertThat(server.handshakeStatus()).isEqualTo(503);
        assertThat(server.rejections(Reason.CONNECTION_RATE)).isEqualTo(1);
    }

    @Test
    void anHttpRequestThatNeverCompletesIsClosedAfterTheTimeout() throws Exception {
        server.startWith("--handshake-timeout", "500");
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout((int) TestClient.TIMEOUT.toMillis());
            OutputStream out = socket.getOutputStream();
            long started = System.nanoTime();
            out.write("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            assertThat(in.read()).as("the server closes the connection").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        }
        assertThat(server.awaitRejections(Reason.HANDSHAKE_TIMEOUT, 1)).isEqualTo(1);
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAfterTheTimeout() throws Exception {
        server.startWith("--handshake-timeout", "300");
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout((int) TestClient.TIMEOUT.toMillis());
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(server.awaitRejections(Reason.HANDSHAKE_TIMEOUT, 1)).isEqualTo(1);
    }

    @Test
    void anOpenWebSocketOutlivesTheHandshakeTimeout() throws Exception {
        server.startWith("--handshake-timeout", "200");
        TestClient client = server.connect();
        client.welcome();
        // Three timeouts pass with the connection idle: it must still be open and serving.
        assertThat(client.closed()).failsWithin(Duration.ofMillis(600))
                .withThrowableOfType(java.util.concurrent.TimeoutException.class);
        client.send("{\"type\":\"rooms\"}");
        assertThat(client.nextText(t -> t.contains("\"type\":\"rooms\""))).contains("lobby");
        assertThat(server.rejections(Reason.HANDSHAKE_TIMEOUT)).isZero();
    }

    @Test
    void aKeptAliveHttpConnectionIdleForTheTimeoutIsClosed() throws Exception {
        server.startWith("--handshake-timeout", "300");
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout((int) TestClient.TIMEOUT.toMillis());
            socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[4096];
            int n = in.read(buf);
            assertThat(new String(buf, 0, n, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
            int next;
            try {
                while ((next = in.read(buf)) > 0) {
                    // drain
                }
            } catch (SocketTimeoutException e) {
                next = 0;
            }
            assertThat(next).as("closed by the server").isEqualTo(-1);
        }
    }
}
