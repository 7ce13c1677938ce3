package dev.wschat.server;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.wschat.server.metrics.ServerMetrics.Reason;
import dev.wschat.server.testing.RawWebSocket;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The message rate limit and heartbeats, as a client sees them. */
class AbuseTest {
    @RegisterExtension
    final RunningServer server = RunningServer.startedByEachTest();

    private static String chat(int i) {
        return "{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"m" + i + "\"}";
    }

    @Test
    void messagesPastTheBurstAreRefusedWithWhenToRetry() throws Exception {
        server.startWith("--message-rate", "2", "--message-burst", "5", "--rate-limit-strikes", "50");
        TestClient client = server.v2();
        for (int i = 0; i < 8; i++) {
            client.send(chat(i));
        }
        // An echo comes once the message is stored, a refusal at once: the two kinds interleave in any order.
        List<String> chats = new ArrayList<>();
        List<JsonObject> errors = new ArrayList<>();
        while (chats.size() + errors.size() < 8) {
            JsonObject reply = JsonParser.parseString(
                    client.nextText(t -> t.contains("\"type\":\"chat\"") || t.contains("\"type\":\"error\"")))
                    .getAsJsonObject();
            if ("chat".equals(reply.get("type").getAsString())) {
                chats.add(reply.get("message").getAsString());
            } else {
                errors.add(reply);
            }
        }
        assertThat(chats).containsExactly("m0", "m1", "m2", "m3", "m4");
        assertThat(errors).hasSize(3);
        long retryAfter = 0;
        for (JsonObject error : errors) {
            assertThat(error.get("code").getAsString()).isEqualTo("rate_limited");
            retryAfter = error.get("retryAfterMs").getAsLong();
            assertThat(retryAfter).isBetween(1L, 500L);
        }
        assertThat(server.rejections(Reason.RATE_LIMITED)).isEqualTo(3);

        // Waiting as told is enough to be served again: the wait is the point here, not a wait for traffic.
        Thread.sleep(retryAfter);
        client.send(chat(99));
        assertThat(client.nextText(t -> t.contains("\"type\":\"chat\"") || t.contains("rate_limited")))
                .contains("\"message\":\"m99\"");
        assertThat(client.closed()).isNotDone();
    }

    @Test
    void sustainedAbuseClosesWith1008() throws Exception {
        server.startWith("--message-rate", "1", "--message-burst", "2", "--rate-limit-strikes", "10");
        TestClient client = server.v2();
        for (int i = 0; i < 30 && !client.closed().isDone(); i++) {
            client.ws().sendText(chat(i), true).exceptionally(e -> null).join();
        }
        assertThat(client.awaitCloseCode()).isEqualTo(1008);
        assertThat(server.rejections(Reason.RATE_LIMITED)).isEqualTo(10);
    }

    @Test
    void theRateLimitIsPerConnection() throws Exception {
        server.startWith("--message-rate", "1", "--message-burst", "3", "--rate-limit-strikes", "100");
        TestClient noisy = server.v2();
        TestClient quiet = server.v2();
        for (int i = 0; i < 10; i++) {
            noisy.send(chat(i));
        }
        noisy.nextText(t -> t.contains("rate_limited"));
        quiet.send(chat(42));
        assertThat(quiet.nextText(t -> t.contains("\"type\":\"chat\"") && t.contains("m42"))).contains("m42");
    }

    @Test
    void anIdleClientThatAnswersPingsStaysConnected() throws Exception {
        server.startWith("--ping-interval", "750");
        TestClient client = server.v2();
        // The JDK client answers pings with pongs: three intervals pass and it is still connected.
        assertThat(client.closed()).failsWithin(Duration.ofMillis(2_250))
                .withThrowableOfType(java.util.concurrent.TimeoutException.class);
        assertThat(server.rejections(Reason.IDLE_TIMEOUT)).isZero();
    }

    @Test
    void aClientSilentForTwoIntervalsIsPingedThenClosed() throws Exception {
        server.startWith("--ping-interval", "200");
        RawWebSocket raw = server.raw();
        boolean pinged = false;
        int closeCode;
        long started = System.nanoTime();
        while (true) {
            RawWebSocket.Frame frame = raw.read();
            if (frame.opcode() == RawWebSocket.PING) {
                pinged = true;
            } else if (frame.opcode() == RawWebSocket.CLOSE) {
                closeCode = frame.closeCode();
                break;
            }
        }
        assertThat(pinged).isTrue();
        assertThat(closeCode).isEqualTo(1001);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(350));
        // This client does not even answer the close frame: the server closes the socket after the grace.
        assertThat(raw.awaitEndOfStream()).isTrue();
        assertThat(server.rejections(Reason.IDLE_TIMEOUT)).isEqualTo(1);
    }

    @Test
    void aClientThatAnswersPingsByHandIsKeptAlive() throws Exception {
        // Long enough that a pong is never later than one interval, even on a loaded machine.
        server.startWith("--ping-interval", "750");
        RawWebSocket raw = server.raw();
        int pongs = 0;
        while (pongs < 3) {
            RawWebSocket.Frame frame = raw.read();
            assertThat(frame.opcode()).isNotEqualTo(RawWebSocket.CLOSE);
            if (frame.opcode() == RawWebSocket.PING) {
                raw.send(true, RawWebSocket.PONG, frame.payload());
                pongs++;
            }
        }
        assertThat(server.rejections(Reason.IDLE_TIMEOUT)).isZero();
    }
}
