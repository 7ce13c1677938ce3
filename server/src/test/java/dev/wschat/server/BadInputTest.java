package dev.wschat.server;

import dev.wschat.protocol.Limits;
import dev.wschat.server.metrics.ServerMetrics.Reason;
import dev.wschat.server.testing.RawWebSocket;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Every row of the bad-input table, as a real client sees it: close codes, error replies, counters. */
class BadInputTest {
    @RegisterExtension
    final RunningServer server = RunningServer.withOptions("--max-rooms", "3", "--threads", "2");

    private static String chat(String content) {
        return "{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"" + content + "\"}";
    }

    private static void assertStillServes(TestClient client) {
        client.send(chat("still here"));
        assertThat(client.nextText(t -> t.contains("\"type\":\"chat\""))).contains("still here");
    }

    @Test
    void aFrameOverTheMessageLimitClosesWith1009() throws Exception {
        try (TestClient client = server.connect()) {
            client.ws().sendText("x".repeat(Limits.DEFAULT_MAX_MESSAGE_BYTES + 1), true);
            assertThat(client.awaitCloseCode()).isEqualTo(1009);
        }
        assertThat(server.awaitRejections(Reason.TOO_BIG, 1)).isEqualTo(1);
    }

    @Test
    void fragmentsReassembledOverTheMessageLimitCloseWith1009() throws Exception {
        try (TestClient client = server.connect()) {
            int half = Limits.DEFAULT_MAX_MESSAGE_BYTES / 2 + 10;
            client.ws().sendText("a".repeat(half), false).join();
            client.ws().sendText("b".repeat(half), true);
            assertThat(client.awaitCloseCode()).isEqualTo(1009);
        }
        assertThat(server.awaitRejections(Reason.TOO_BIG, 1)).isEqualTo(1);
    }

    @Test
    void textThatIsNotUtf8ClosesWith1007() throws Exception {
        try (RawWebSocket raw = server.raw()) {
            raw.send(true, RawWebSocket.TEXT, new byte[] {'h', 'i', (byte) 0xC3, (byte) 0x28});
            assertThat(raw.awaitClose()).isEqualTo(1007);
        }
        assertThat(server.awaitRejections(Reason.BAD_UTF8, 1)).isEqualTo(1);
    }

    @Test
    void aBinaryFrameClosesWith1003() throws Exception {
        try (TestClient client = server.connect()) {
            client.ws().sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true);
            assertThat(client.awaitCloseCode()).isEqualTo(1003);
        }
        assertThat(server.awaitRejections(Reason.BINARY_FRAME, 1)).isEqualTo(1);
    }

    @Test
    void anUnmaskedClientFrameClosesWith1002() throws Exception {
        try (RawWebSocket raw = server.raw()) {
            raw.write(true, RawWebSocket.TEXT, chat("hi").getBytes(StandardCharsets.UTF_8), false);
            assertThat(raw.awaitClose()).isEqualTo(1002);
        }
        assertThat(server.awaitRejections(Reason.PROTOCOL_ERROR, 1)).isEqualTo(1);
    }

    @Test
    void anOversizedControlFrameClosesWith1002() throws Exception {
        try (RawWebSocket raw = server.raw()) {
            raw.send(true, RawWebSocket.PING, new byte[126]);
            assertThat(raw.awaitClose()).isEqualTo(1002);
        }
        assertThat(server.awaitRejections(Reason.PROTOCOL_ERROR, 1)).isEqualTo(1);
    }

    @Test
    void aContinuationWithoutAStartClosesWith1002() throws Exception {
        try (RawWebSocket raw = server.raw()) {
            raw.send(true, RawWebSocket.CONTINUATION, "orphan".getBytes(StandardCharsets.UTF_8));
            assertThat(raw.awaitClose()).isEqualTo(1002);
        }
        assertThat(server.awaitRejections(Reason.PROTOCOL_ERROR, 1)).isEqualTo(1);
    }

    @Test
    void aNewMessageInsideAFragmentedOneClosesWith1002() throws Exception {
        try (RawWebSocket raw = server.raw()) {
            raw.send(false, RawWebSocket.TEXT, "{\"type\":".getBytes(StandardCharsets.UTF_8));
            raw.send(true, RawWebSocket.TEXT, "\"rooms\"}".getBytes(StandardCharsets.UTF_8));
            assertThat(raw.awaitClose()).isEqualTo(1002);
        }
    }

    @Test
    void chatTextOverTheContentLimitIsRefusedAndTheConnectionStays() throws Exception {
        try (TestClient client = server.connect()) {
            client.send(chat("y".repeat(Limits.DEFAULT_MAX_CONTENT_LENGTH + 1)));
            assertThat(client.nextText(t -> t.contains("\"type\":\"error\""))).contains("\"code\":\"too_long\"");
            assertStillServes(client);
        }
        assertThat(server.rejections(Reason.TOO_LONG)).isEqualTo(1);
    }

    @Test
    void deeplyNestedJsonIsABadRequestAndTheConnectionStays() throws Exception {
        try (TestClient client = server.connect()) {
            client.send("[".repeat(60_000));
            assertThat(client.nextText(t -> t.contains("\"type\":\"error\""))).contains("\"code\":\"bad_request\"");
            client.send("{\"a\":".repeat(5_000) + "1" + "}".repeat(5_000));
            assertThat(client.nextText(t -> t.contains("\"type\":\"error\""))).contains("\"code\":\"bad_request\"");
            assertStillServes(client);
        }
        assertThat(server.rejections(Reason.BAD_REQUEST)).isEqualTo(2);
    }

    @Test
    void anOversizedFieldIsABadRequestAndTheConnectionStays() throws Exception {
        try (TestClient client = server.connect()) {
            client.send("{\"type\":\"rooms\",\"ref\":\"" + "r".repeat(60_000) + "\"}");
            assertThat(client.nextText(t -> t.contains("\"type\":\"error\""))).contains("\"code\":\"bad_request\"");
            assertStillServes(client);
        }
        assertThat(server.rejections(Reason.BAD_REQUEST)).isEqualTo(1);
    }

    @Test
    void joiningMoreRoomsThanAllowedIsRefusedAndTheConnectionStays() throws Exception {
        try (TestClient client = server.connect()) {
            for (String room : new String[] {"one", "two"}) {
                client.send("{\"type\":\"join\",\"room\":\"" + room + "\"}");
                client.nextText(t -> t.contains("\"type\":\"presence\"") && t.contains("\"room\":\"" + room + "\""));
            }
            client.send("{\"type\":\"join\",\"room\":\"three\",\"ref\":\"j3\"}");
            String error = client.nextText(t -> t.contains("\"type\":\"error\""));
            assertThat(error).contains("\"code\":\"too_many_rooms\"").contains("\"ref\":\"j3\"");
            assertStillServes(client);
        }
        assertThat(server.rejections(Reason.TOO_MANY_ROOMS)).isEqualTo(1);
    }
}
