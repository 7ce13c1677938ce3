package dev.wschat.protocol;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The encoder's output, byte for byte, and the messages the tutorial dialect has no form of. */
class JsonCodecEncodeFastPathTest {
    private final JsonCodec codec = new JsonCodec();
    private final ServerMessage.User ann = new ServerMessage.User("id-1", "Ann \"q\" \\ <b>&'= \u2028 \t\n\u0001 é 😀");
    private final ServerMessage.User bob = new ServerMessage.User("id-2", "Bob");

    @Test
    void presenceAndRoomListsHaveNoTutorialFormAndDoNotThrow() {
        assertThat(codec.encode(new ServerMessage.Presence("lobby", List.of(ann, bob)), Dialect.TUTORIAL)).isNull();
        assertThat(codec.encode(new ServerMessage.RoomList(List.of(new ServerMessage.RoomInfo("lobby", 2))),
                Dialect.TUTORIAL)).isNull();
    }

    @Test
    void chatIsEscapedAsGsonWritesIt() {
        ServerMessage.Chat chat = new ServerMessage.Chat("lobby", "n-1", 42, ann, "hi \"w\" \\n \u0000 ☃", "t");
        assertThat(codec.encode(chat, Dialect.V2)).isEqualTo("{\"type\":\"chat\",\"room\":\"lobby\",\"id\":\"n-1\","
                + "\"seq\":42,\"userId\":\"id-1\",\"username\":\"Ann \\\"q\\\" \\\\ <b>&'= \\u2028 \\t\\n\\u0001 é 😀\","
                + "\"message\":\"hi \\\"w\\\" \\\\n \\u0000 ☃\",\"timestamp\":\"t\"}");
        assertThat(codec.encode(chat, Dialect.TUTORIAL)).isEqualTo("{\"type\":\"chat\",\"username\":\"Ann \\\"q\\\" "
                + "\\\\ <b>&'= \\u2028 \\t\\n\\u0001 é 😀\",\"message\":\"hi \\\"w\\\" \\\\n \\u0000 ☃\",\"timestamp\":\"t\"}");
    }

    @Test
    void presenceListsEveryMember() {
        assertThat(codec.encode(new ServerMessage.Presence("lobby", List.of(bob, bob)), Dialect.V2)).isEqualTo(
                "{\"type\":\"presence\",\"room\":\"lobby\",\"users\":[{\"id\":\"id-2\",\"username\":\"Bob\"},"
                        + "{\"id\":\"id-2\",\"username\":\"Bob\"}],\"total\":2}");
    }

    @Test
    void noticesOmitAbsentFields() {
        assertThat(codec.encode(new ServerMessage.Notice(ServerMessage.NoticeKind.RENAME, null, bob, "Old", "t"),
                Dialect.V2)).isEqualTo("{\"type\":\"system\",\"event\":\"rename\",\"user\":{\"id\":\"id-2\","
                + "\"username\":\"Bob\"},\"oldUsername\":\"Old\",\"message\":\"Old is now known as Bob\",\"timestamp\":\"t\"}");
    }
}
