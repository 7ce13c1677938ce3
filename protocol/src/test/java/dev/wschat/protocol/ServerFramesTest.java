package dev.wschat.protocol;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The fast field readers agree with what the codec writes, in both dialects, and refuse other frames. */
class ServerFramesTest {
    private final JsonCodec codec = new JsonCodec();
    private final ServerMessage.User ann = new ServerMessage.User("id-1", "Ann \",\"timestamp\":\"x");

    private static String textBeforeEnd(String json) {
        byte[] b = ("pad" + json + "pad").getBytes(StandardCharsets.UTF_8);
        int len = json.getBytes(StandardCharsets.UTF_8).length;
        int end = ServerFrames.chatMessageEnd(b, 3, len);
        if (end < 0) {
            return null;
        }
        int start = json.indexOf("\"message\":\"") + "\"message\":\"".length();
        return new String(b, 3 + start, end - 3 - start, StandardCharsets.UTF_8);
    }

    @Test
    void chatMessageEndIsTheEndOfTheMessageInBothDialects() {
        for (String text : List.of("hello #B1:22:333#", "é 😀 \"q\" \\ end\\", "x")) {
            ServerMessage.Chat chat = new ServerMessage.Chat("lobby", "n-1", 7, ann, text, "2026-11-26T13:45:00.123Z");
            for (Dialect d : Dialect.values()) {
                String json = codec.encode(chat, d);
                String escaped = json.substring(json.indexOf("\"message\":\"") + 11, json.indexOf("\",\"timestamp\""));
                assertThat(textBeforeEnd(json)).as("%s in %s", text, d).isEqualTo(escaped);
            }
        }
    }

    @Test
    void chatMessageEndRefusesFramesThatAreNotChats() {
        String system = codec.encode(new ServerMessage.SystemText("hi", "t"), Dialect.V2);
        String welcome = codec.encode(new ServerMessage.Welcome("c-1", "Ann", "t"), Dialect.TUTORIAL);
        String noTimestamp = codec.encode(new ServerMessage.Chat("lobby", "n-1", 1, ann, "hi", null), Dialect.V2);
        assertThat(textBeforeEnd(system)).isNull();
        assertThat(textBeforeEnd(welcome)).isNull();
        assertThat(textBeforeEnd(noTimestamp)).isNull();
        assertThat(textBeforeEnd("{}")).isNull();
    }

    @Test
    void encodeClientWritesWhatTheDecoderReadsBack() {
        List<ClientMessage> v2 = List.of(new ClientMessage.Chat("r1", "hi \"x\"", "ref-1"),
                new ClientMessage.Chat("r1", "hi", "c-17", null), new ClientMessage.Join("r1", 41L, "k3x9", "j1"),
                new ClientMessage.Join("r1", null), new ClientMessage.Leave(Limits.DEFAULT_ROOM, null),
                new ClientMessage.Who("r1", null), new ClientMessage.ListRooms("q"),
                new ClientMessage.SetUsername("Ann", null), new ClientMessage.DirectMessage("c-2", "psst", null));
        for (ClientMessage m : v2) {
            assertThat(codec.decode(codec.encodeClient(m, Dialect.V2), Dialect.V2)).isEqualTo(m);
        }
        ClientMessage chat = new ClientMessage.Chat(null, "hi", null);
        assertThat(codec.encodeClient(chat, Dialect.TUTORIAL)).isEqualTo("{\"type\":\"chat\",\"content\":\"hi\"}");
        assertThat(codec.decode(codec.encodeClient(chat, Dialect.TUTORIAL), Dialect.TUTORIAL)).isEqualTo(chat);
    }
}
