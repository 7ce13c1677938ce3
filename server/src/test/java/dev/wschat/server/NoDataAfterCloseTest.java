package dev.wschat.server;

import dev.wschat.server.testing.RawWebSocket;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.ServerProcess;
import dev.wschat.server.testing.TestClient;
import dev.wschat.protocol.Limits;
import dev.wschat.server.auth.TestTokens;
import dev.wschat.server.metrics.ServerMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.wschat.server.testing.RunningServer.noRateLimit;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Regression test for "TEXT frames after the server's Close frame" (issue 9, RFC 6455 §5.5.1): once the server
 * had sent a Close frame (1008 for rate-limit strikes, 1009, 1002, 1007, 4008, 1001 idle or shutdown, 1008 token
 * expiry), room traffic kept reaching that connection as TEXT frames until the close grace ended, because room
 * frames are written at the WebSocket encoder, past Netty's close guard. Each case closes one raw-socket member
 * of the lobby while another member keeps chatting there, reads every frame the server sends until it closes the
 * TCP connection, and asserts that no data frame came after the Close frame.
 */
class NoDataAfterCloseTest {
    /** Chats by the other member once the Close arrived, each awaited as its echo: the room's fan-out ran. */
    private static final int AFTER_CLOSE = 5;
    /** Bound on the chats sent while waiting for the server's Close. */
    private static final int MAX_BEFORE_CLOSE = 20_000;

    /** One worker loop: the chatter's echo and the victim's copy of each chat are written by the same drain. */
    @RegisterExtension
    final RunningServer server = RunningServer.startedByEachTest("--threads", "1");
    private Chatter chatter;

    @Test
    void rateLimitStrikes1008() throws Exception {
        start("--message-rate", "10", "--message-burst", "100", "--rate-limit-strikes", "2");
        RawWebSocket victim = joined("/ws", 0);
        for (int i = 0; i < 110; i++) {
            victim.send(true, RawWebSocket.TEXT, chat("flood " + i));
        }
        assertNoDataAfterClose(victim, 1008, true);
    }

    @Test
    void tooBig1009() throws Exception {
        start(noRateLimit());
        RawWebSocket victim = joined("/ws", 0);
        victim.send(true, RawWebSocket.TEXT, chat("x".repeat(Limits.DEFAULT_MAX_MESSAGE_BYTES)));
        assertNoDataAfterClose(victim, 1009, false);
    }

    @Test
    void protocolError1002() throws Exception {
        start(noRateLimit());
        RawWebSocket victim = joined("/ws", 0);
        victim.write(true, RawWebSocket.TEXT, chat("unmasked"), false);
        assertNoDataAfterClose(victim, 1002, false);
    }

    @Test
    void badUtf8_1007() throws Exception {
        start(noRateLimit());
        RawWebSocket victim = joined("/ws", 0);
        victim.send(true, RawWebSocket.TEXT, new byte[] {'{', (byte) 0xC3, (byte) 0x28});
        assertNoDataAfterClose(victim, 1007, false);
    }

    @Test
    void idleTimeout1001() throws Exception {
        start(noRateLimit("--ping-interval", "250"));
        RawWebSocket victim = joined("/ws", 0);
        // The victim never answers the server's pings; the chatter does, and keeps chatting.
        assertNoDataAfterClose(victim, 1001, true);
    }

    @Test
    void slowConsumer4008() throws Exception {
        start(noRateLimit("--max-queued-bytes", "" + 64 * 1024));
        RawWebSocket victim = joined("/ws", 4 * 1024);
        String filler = "f".repeat(3_900);
        // The victim reads nothing until the server gives up on it; the chatter keeps up, so only the victim lags.
        for (int i = 0; i < 5_000 && server.server().metrics().rejections(ServerMetrics.Reason.SLOW_CONSUMER) < 1; i++) {
            chatter.say("flood " + i + " " + filler);
        }
        assertThat(server.server().metrics().rejections(ServerMetrics.Reason.SLOW_CONSUMER)).isEqualTo(1);
        assertNoDataAfterClose(victim, 4008, true);
    }

    @Test
    void shutdown1001() throws Exception {
        start(noRateLimit("--drain-timeout", "3000"));
        RawWebSocket victim = joined("/ws", 0);
        chatter.say("before the shutdown");
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(server.server()::stop);
        // The draining server accepts no more chat, so the chatter only waits for its own Close.
        int code = readUntilClose(victim);
        assertThat(code).isEqualTo(1001);
        victim.send(true, RawWebSocket.CLOSE, closePayload(1000));
        assertThat(dataFrames(readToEnd(victim))).as("data frames after the Close frame").isEmpty();
        stopping.get(10, TimeUnit.SECONDS);
    }

    @Test
    void tokenExpiry1008() throws Exception {
        startWithPath("/ws?token=" + TestTokens.hs256("chatter", "Chatter", Duration.ofMinutes(5)),
                noRateLimit("--jwt-secret", TestTokens.SECRET, "--jwt-clock-skew", "0"));
        RawWebSocket victim = joined("/ws?token=" + TestTokens.hs256("victim", "Victim", Duration.ofSeconds(2)), 0);
        assertNoDataAfterClose(victim, 1008, true);
    }

    private void start(String... settings) throws Exception {
        startWithPath("/ws", settings);
    }

    private void startWithPath(String chatterPath, String... settings) throws Exception {
        server.startWith(settings);
        chatter = new Chatter(joined(chatterPath, 0));
    }

    /** A raw v2 client that has read its welcome and lobby presence. */
    private RawWebSocket joined(String path, int receiveBuffer) throws IOException {
        RawWebSocket raw = server.closeLater(RawWebSocket.connect(server.port(), path, receiveBuffer));
        while (true) {
            RawWebSocket.Frame f = raw.read();
            if (f.opcode() == RawWebSocket.TEXT && f.text().contains("\"type\":\"presence\"")) {
                return raw;
            }
        }
    }

    /**
     * The chatter chats until the victim reads the server's Close, then chats {@link #AFTER_CLOSE} times more,
     * each awaited; the victim answers the Close when the server still reads (so it closes the socket at once,
     * not after the grace), and every frame it gets from then to the end of the connection must be a control frame.
     */
    private void assertNoDataAfterClose(RawWebSocket victim, int expectedCode, boolean serverStillReads)
            throws Exception {
        CompletableFuture<Integer> close = CompletableFuture.supplyAsync(() -> {
            try {
                return readUntilClose(victim);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        long deadline = System.nanoTime() + TestClient.TIMEOUT.toNanos();
        for (int i = 0; i < MAX_BEFORE_CLOSE && !close.isDone() && System.nanoTime() < deadline; i++) {
            chatter.say("before " + i);
        }
        assertThat(close.get(TestClient.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).as("close code").isEqualTo(expectedCode);
        for (int i = 0; i < AFTER_CLOSE; i++) {
            chatter.say("after the close " + i);
        }
        if (serverStillReads) {
            victim.send(true, RawWebSocket.CLOSE, closePayload(1000));
        }
        assertThat(dataFrames(readToEnd(victim))).as("data frames after the Close frame").isEmpty();
    }

    /** Reads (and drops) frames until the server's Close frame; its code. */
    private static int readUntilClose(RawWebSocket raw) throws IOException {
        while (true) {
            RawWebSocket.Frame f = raw.read();
            if (f.opcode() == RawWebSocket.CLOSE) {
                return f.closeCode();
            }
        }
    }

    /** Every frame until the server closes the connection. */
    private static List<RawWebSocket.Frame> readToEnd(RawWebSocket raw) throws IOException {
        List<RawWebSocket.Frame> frames = new ArrayList<>();
        try {
            while (true) {
                frames.add(raw.read());
            }
        } catch (EOFException | SocketException e) {
            return frames;
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server did not close the connection; frames so far: " + frames.size(), e);
        }
    }

    private static List<String> dataFrames(List<RawWebSocket.Frame> frames) {
        return frames.stream().filter(f -> f.opcode() < RawWebSocket.CLOSE)
                .map(f -> "opcode " + f.opcode() + ": " + f.text()).toList();
    }

    private static byte[] chat(String content) {
        return ("{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"" + content + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] closePayload(int code) {
        return new byte[] {(byte) (code >>> 8), (byte) code};
    }

    /** The other member of the lobby: sends a chat and reads up to its echo, answering pings on the way. */
    private record Chatter(RawWebSocket raw) {
        void say(String content) throws IOException {
            raw.send(true, RawWebSocket.TEXT, chat(content));
            String marker = "\"message\":\"" + content + "\"";
            while (true) {
                RawWebSocket.Frame f = raw.read();
                if (f.opcode() == RawWebSocket.PING) {
                    raw.send(true, RawWebSocket.PONG, f.payload());
                } else if (f.opcode() == RawWebSocket.CLOSE) {
                    throw new AssertionError("the chatter was closed " + f.closeCode());
                } else if (f.opcode() == RawWebSocket.TEXT && f.text().contains(marker)) {
                    return;
                } else if (f.opcode() == RawWebSocket.TEXT && f.text().contains("\"type\":\"error\"")) {
                    throw new AssertionError("the chatter was refused: " + f.text());
                }
            }
        }
    }
}
