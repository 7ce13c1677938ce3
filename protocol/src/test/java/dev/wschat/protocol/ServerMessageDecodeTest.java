package dev.wschat.protocol;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The server-message decoder reads back every message the encoder writes, in both dialects, and refuses the rest. */
class ServerMessageDecodeTest {
    private static final String TS = "2026-11-26T13:45:00.123Z";
    private static final ServerMessage.User ALICE = new ServerMessage.User("a1", "alice");
    private static final ServerMessage.User BOB = new ServerMessage.User("b2", "bob \"the\" \\ builder é 😀");
    private static final ServerMessage.Chat CHAT = new ServerMessage.Chat("dev", "m-17", 17, ALICE, "hi", TS);
    private final JsonCodec codec = new JsonCodec();

    /** Every server message type of dialect 2, with and without each optional field. */
    static Stream<ServerMessage> v2Messages() {
        List<ServerMessage> all = new ArrayList<>(List.of(
                new ServerMessage.Welcome("a1", "alice", TS),
                new ServerMessage.Welcome("a1", "alice", TS, "tok.sig"),
                new ServerMessage.Welcome("a1", "alice", TS, "tok.sig", true),
                new ServerMessage.Welcome("a1", "alice", TS, "tok.sig", false),
                new ServerMessage.Token("tok2.sig"),
                new ServerMessage.Notice(ServerMessage.NoticeKind.JOIN, "dev", BOB, null, TS),
                new ServerMessage.Notice(ServerMessage.NoticeKind.LEAVE, Limits.DEFAULT_ROOM, BOB, null, TS),
                new ServerMessage.Notice(ServerMessage.NoticeKind.RENAME, "dev", BOB, "bobby", TS),
                new ServerMessage.Notice(ServerMessage.NoticeKind.RENAME, null, BOB, "bobby", TS),
                new ServerMessage.SystemText("Message is 4001 characters long; the limit is 4000", TS),
                CHAT,
                new ServerMessage.Chat("dev", "m-18", Long.MAX_VALUE, BOB, "line\nbreak \"q\" </script> \u2028", TS),
                new ServerMessage.Ack("dev", "c-17", "m-17", 42, false),
                new ServerMessage.Ack("dev", "c-17", "m-17", 42, true),
                new ServerMessage.History("dev", "k3x9", List.of(), false, null, null),
                new ServerMessage.History("dev", "k3x9", List.of(CHAT, CHAT), true, true, "p1"),
                new ServerMessage.History("dev", "k3x9", List.of(CHAT), false, false, null),
                new ServerMessage.Presence("dev", List.of(ALICE, BOB)),
                new ServerMessage.Presence("lobby", List.of(ALICE), 15_000, "dTAwOTkA", "w2"),
                new ServerMessage.Presence("lobby", List.of(), 0, null, null),
                new ServerMessage.RoomList(List.of(new ServerMessage.RoomInfo("lobby", 12),
                        new ServerMessage.RoomInfo("dev", 2))),
                new ServerMessage.RoomList(List.of()),
                new ServerMessage.Direct("m-18", ALICE, "b2", "psst", TS),
                new ServerMessage.Error(ErrorCode.RATE_LIMITED, "Too many messages", null, 50L),
                new ServerMessage.Error(ErrorCode.NOT_IN_ROOM, "You are not in room 'dev'", "r42")));
        for (ErrorCode code : ErrorCode.values()) {
            all.add(new ServerMessage.Error(code, "because", null));
        }
        return all.stream();
    }

    @ParameterizedTest
    @MethodSource("v2Messages")
    void everyV2MessageReadsBackEqual(ServerMessage message) {
        String text = codec.encode(message, Dialect.V2);
        assertThat(codec.decodeServer(text, Dialect.V2)).isEqualTo(message);
    }

    @Test
    void theTutorialsOwnFormsReadBackEqual() {
        for (ServerMessage m : List.of(new ServerMessage.Welcome("1f0c", "User-1f0c", TS),
                new ServerMessage.SystemText("alice left the chat", TS),
                new ServerMessage.Chat(null, null, 0, new ServerMessage.User("", "alice"), "Hello \"all\"", TS))) {
            assertThat(codec.decodeServer(codec.encode(m, Dialect.TUTORIAL), Dialect.TUTORIAL)).isEqualTo(m);
        }
    }

    @ParameterizedTest
    @MethodSource("v2Messages")
    void everyTutorialFormReadsBackAsAMessageThatEncodesTheSame(ServerMessage message) {
        String text = codec.encode(message, Dialect.TUTORIAL);
        if (text == null) {
            return; // presence, acks, history pages, room lists and tokens have no tutorial form
        }
        ServerMessage read = codec.decodeServer(text, Dialect.TUTORIAL);
        assertThat(codec.encode(read, Dialect.TUTORIAL)).isEqualTo(text);
    }

    /** The examples of docs/protocol.md, verbatim: each reads, and encodes back to the same text. */
    @ParameterizedTest
    @ValueSource(strings = {
        "{\"type\":\"system\",\"event\":\"welcome\",\"message\":\"Welcome! You are connected as User-1f0c\",\"clientId\":\"1f0c2a9e-5d7b-4c1e-9a51-0f7d2d3c4b5a\",\"username\":\"User-1f0c\",\"timestamp\":\"2026-11-26T13:45:00.123Z\",\"resumeToken\":\"eyJjIjoiMWYwYy4uLiJ9.Qm9vb29vb29vb29vb29vb28\",\"resumed\":false}",
        "{\"type\":\"history\",\"room\":\"lobby\",\"epoch\":\"k3x9q2m1\",\"messages\":[],\"hasMore\":false}",
        "{\"type\":\"chat\",\"room\":\"dev\",\"id\":\"mie3k2-17\",\"seq\":17,\"userId\":\"1f0c2a9e-5d7b-4c1e-9a51-0f7d2d3c4b5a\",\"username\":\"alice\",\"message\":\"hi\",\"timestamp\":\"2026-11-26T13:45:01.000Z\"}",
        "{\"type\":\"ack\",\"room\":\"dev\",\"clientMsgId\":\"c-17\",\"id\":\"mie3k2-17\",\"seq\":42}",
        "{\"type\":\"ack\",\"room\":\"dev\",\"clientMsgId\":\"c-17\",\"id\":\"mie3k2-17\",\"seq\":42,\"duplicate\":true}",
        "{\"type\":\"history\",\"room\":\"dev\",\"epoch\":\"k3x9q2m1\",\"messages\":[{\"type\":\"chat\",\"room\":\"dev\",\"id\":\"mie3k2-40\",\"seq\":40,\"userId\":\"1f0c...\",\"username\":\"alice\",\"message\":\"hi\",\"timestamp\":\"2026-11-26T13:45:01.000Z\"}],\"hasMore\":true}",
        "{\"type\":\"presence\",\"room\":\"dev\",\"users\":[{\"id\":\"1f0c...\",\"username\":\"alice\"},{\"id\":\"77ab...\",\"username\":\"bob\"}],\"total\":2}",
        "{\"type\":\"system\",\"event\":\"join\",\"room\":\"dev\",\"user\":{\"id\":\"77ab...\",\"username\":\"bob\"},\"message\":\"bob joined dev\",\"timestamp\":\"2026-11-26T13:45:02.000Z\"}",
        "{\"type\":\"system\",\"event\":\"leave\",\"room\":\"dev\",\"user\":{\"id\":\"77ab...\",\"username\":\"bob\"},\"message\":\"bob left dev\",\"timestamp\":\"2026-11-26T13:45:03.000Z\"}",
        "{\"type\":\"system\",\"event\":\"rename\",\"room\":\"dev\",\"user\":{\"id\":\"77ab...\",\"username\":\"robert\"},\"oldUsername\":\"bob\",\"message\":\"bob is now known as robert\",\"timestamp\":\"2026-11-26T13:45:04.000Z\"}",
        "{\"type\":\"rooms\",\"rooms\":[{\"name\":\"lobby\",\"members\":12},{\"name\":\"dev\",\"members\":2}]}",
        "{\"type\":\"dm\",\"id\":\"mie3k2-18\",\"from\":{\"id\":\"1f0c...\",\"username\":\"alice\"},\"to\":\"77ab...\",\"message\":\"psst\",\"timestamp\":\"2026-11-26T13:45:05.000Z\"}",
        "{\"type\":\"error\",\"code\":\"not_in_room\",\"message\":\"You are not in room 'dev'; join it first\",\"ref\":\"r42\"}",
        "{\"type\":\"error\",\"code\":\"rate_limited\",\"message\":\"Too many messages: the limit is 20 per second; retry in 50 ms\",\"retryAfterMs\":50}",
        "{\"type\":\"token\",\"resumeToken\":\"eyJjIjoiMWYwYy4uLiJ9.UmVmcmVzaGVkcmVmcmVzaGVk\"}",
        "{\"type\":\"system\",\"event\":\"welcome\",\"message\":\"Welcome! You are connected as alice\",\"clientId\":\"1f0c2a9e-5d7b-4c1e-9a51-0f7d2d3c4b5a\",\"username\":\"alice\",\"timestamp\":\"2026-11-26T13:47:00.000Z\",\"resumeToken\":\"eyJjIjoiMWYwYy4uLiJ9.TmV3bmV3bmV3bmV3bmV3bmV3\",\"resumed\":true}",
        "{\"type\":\"system\",\"event\":\"welcome\",\"message\":\"Welcome! You are connected as Alice\",\"clientId\":\"alice-42\",\"username\":\"Alice\",\"timestamp\":\"2026-11-26T13:45:00.123Z\"}"})
    void theDocumentedV2ExamplesReadAndEncodeBackTheSame(String text) {
        assertThat(codec.encode(codec.decodeServer(text, Dialect.V2), Dialect.V2)).isEqualTo(text);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"type\":\"system\",\"message\":\"Welcome! You are connected as User-1f0c\",\"clientId\":\"1f0c2a9e-5d7b-4c1e-9a51-0f7d2d3c4b5a\",\"timestamp\":\"2026-11-26T13:45:00.123Z\"}",
        "{\"type\":\"system\",\"message\":\"User-1f0c joined the chat\",\"timestamp\":\"2026-11-26T13:45:00.124Z\"}",
        "{\"type\":\"chat\",\"username\":\"alice\",\"message\":\"Hello everyone\",\"timestamp\":\"2026-11-26T13:45:01.000Z\"}",
        "{\"type\":\"chat\",\"username\":\"bob (direct)\",\"message\":\"psst\",\"timestamp\":\"2026-11-26T13:45:04.000Z\"}",
        "{\"type\":\"system\",\"message\":\"Message is 4001 characters long; the limit is 4000\",\"timestamp\":\"2026-11-26T13:45:05.000Z\"}"})
    void theDocumentedTutorialExamplesReadAndEncodeBackTheSame(String text) {
        assertThat(codec.encode(codec.decodeServer(text, Dialect.TUTORIAL), Dialect.TUTORIAL)).isEqualTo(text);
    }

    @Test
    void theTutorialWelcomeNamesItsUserInItsText() {
        String text = codec.encode(new ServerMessage.Welcome("c-1", "Ann", TS, "tok", true), Dialect.TUTORIAL);
        assertThat(codec.decodeServer(text, Dialect.TUTORIAL)).isEqualTo(new ServerMessage.Welcome("c-1", "Ann", TS));
    }

    @Test
    void readsThePresenceOfARoomAndNothingElseAsOne() {
        String presence = codec.encode(new ServerMessage.Presence("bench-1", List.of(ALICE)), Dialect.V2);
        assertThat(codec.decodeServer(presence, Dialect.V2))
                .isInstanceOfSatisfying(ServerMessage.Presence.class, p -> assertThat(p.room()).isEqualTo("bench-1"));
        assertThat(codec.decodeServer(codec.encode(new ServerMessage.Chat("bench-1", "n-1", 1, ALICE, "presence", "t"),
                Dialect.V2), Dialect.V2)).isInstanceOf(ServerMessage.Chat.class);
    }

    @Test
    void ignoresFieldsItDoesNotKnowAndReadsNullAsAbsent() {
        assertThat(codec.decodeServer("{\"extra\":{\"a\":[1,2]},\"type\":\"token\",\"resumeToken\":\"t\",\"x\":null}",
                Dialect.V2)).isEqualTo(new ServerMessage.Token("t"));
        assertThat(codec.decodeServer("{\"type\":\"error\",\"code\":\"too_long\",\"message\":\"m\",\"ref\":null}",
                Dialect.V2)).isEqualTo(new ServerMessage.Error(ErrorCode.TOO_LONG, "m", null));
    }

    static Stream<Arguments> malformed() {
        String chat = "\"type\":\"chat\",\"room\":\"dev\",\"id\":\"m1\",\"userId\":\"a1\",\"username\":\"alice\","
                + "\"message\":\"hi\",\"timestamp\":\"t\"";
        return Stream.of(
                Arguments.of(Dialect.V2, "not json", "not valid JSON"),
                Arguments.of(Dialect.V2, "", "not a JSON object"),
                Arguments.of(Dialect.V2, "{'type':'token'}", "not valid JSON"),
                Arguments.of(Dialect.V2, "{\"type\":\"token\",\"resumeToken\":\"t\"} {}", "not valid JSON"),
                Arguments.of(Dialect.V2, "[1]", "not a JSON object"),
                Arguments.of(Dialect.V2, "\"chat\"", "not a JSON object"),
                Arguments.of(Dialect.V2, "{\"a\":".repeat(17) + "1" + "}".repeat(17), "nested deeper"),
                Arguments.of(Dialect.V2, "{}", "missing field 'type'"),
                Arguments.of(Dialect.V2, "{\"type\":7}", "field 'type' must be a string"),
                Arguments.of(Dialect.V2, "{\"type\":\"fly\"}", "'fly': not a message type of wschat.v2"),
                Arguments.of(Dialect.V2, "{" + chat + "}", "'chat': missing field 'seq' (a whole number)"),
                Arguments.of(Dialect.V2, "{" + chat + ",\"seq\":\"5\"}", "field 'seq' must be a whole number"),
                Arguments.of(Dialect.V2, "{" + chat + ",\"seq\":1.5}", "field 'seq' must be a whole number"),
                Arguments.of(Dialect.V2, "{" + chat + ",\"seq\":1e40}", "field 'seq' must be a whole number"),
                Arguments.of(Dialect.V2, "{\"type\":\"token\"}", "'token': missing field 'resumeToken'"),
                Arguments.of(Dialect.V2, "{\"type\":\"token\",\"resumeToken\":{}}", "field 'resumeToken' must be a string"),
                Arguments.of(Dialect.V2, "{\"type\":\"system\",\"event\":\"dance\",\"timestamp\":\"t\"}",
                        "unknown 'event' 'dance'"),
                Arguments.of(Dialect.V2, "{\"type\":\"system\",\"event\":\"rename\",\"room\":\"dev\","
                        + "\"user\":{\"id\":\"b\",\"username\":\"bob\"},\"timestamp\":\"t\"}", "missing field 'oldUsername'"),
                Arguments.of(Dialect.V2, "{\"type\":\"system\",\"event\":\"join\",\"room\":\"dev\",\"user\":\"bob\","
                        + "\"timestamp\":\"t\"}", "field 'user' must be an object"),
                Arguments.of(Dialect.V2, "{\"type\":\"system\",\"event\":\"join\",\"room\":\"dev\",\"user\":{\"id\":\"b\"},"
                        + "\"timestamp\":\"t\"}", "missing field 'username' (a string) (in user)"),
                Arguments.of(Dialect.V2, "{\"type\":\"error\",\"code\":\"oops\",\"message\":\"m\"}", "unknown 'code' 'oops'"),
                Arguments.of(Dialect.V2, "{\"type\":\"history\",\"room\":\"dev\",\"epoch\":\"e\",\"hasMore\":false}",
                        "missing field 'messages' (an array of objects)"),
                Arguments.of(Dialect.V2, "{\"type\":\"history\",\"room\":\"dev\",\"epoch\":\"e\",\"messages\":[1],"
                        + "\"hasMore\":false}", "field 'messages' must be an array of objects"),
                Arguments.of(Dialect.V2, "{\"type\":\"history\",\"room\":\"dev\",\"epoch\":\"e\",\"messages\":[{" + chat
                        + "}],\"hasMore\":false}", "missing field 'seq' (a whole number) (in messages[0])"),
                Arguments.of(Dialect.V2, "{\"type\":\"history\",\"room\":\"dev\",\"epoch\":\"e\",\"messages\":"
                        + "[{\"type\":\"ack\"}],\"hasMore\":false}", "every entry of 'messages' must be a 'chat'"),
                Arguments.of(Dialect.V2, "{\"type\":\"history\",\"room\":\"dev\",\"epoch\":\"e\",\"messages\":[],"
                        + "\"hasMore\":\"no\"}", "field 'hasMore' must be true or false"),
                Arguments.of(Dialect.V2, "{\"type\":\"presence\",\"room\":\"dev\",\"users\":[]}", "missing field 'total'"),
                Arguments.of(Dialect.V2, "{\"type\":\"presence\",\"room\":\"dev\",\"users\":[],\"total\":-1}",
                        "field 'total' must be a whole number from 0"),
                Arguments.of(Dialect.V2, "{\"type\":\"rooms\",\"rooms\":[{\"name\":\"lobby\"}]}",
                        "missing field 'members' (a whole number) (in rooms[0])"),
                Arguments.of(Dialect.V2, "{\"type\":\"ack\",\"room\":\"dev\",\"clientMsgId\":\"c\",\"id\":\"m\","
                        + "\"seq\":1,\"duplicate\":1}", "field 'duplicate' must be true or false"),
                Arguments.of(Dialect.TUTORIAL, "{\"type\":\"presence\",\"room\":\"dev\",\"users\":[],\"total\":0}",
                        "not a message type of the tutorial dialect"),
                Arguments.of(Dialect.TUTORIAL, "{\"type\":\"chat\",\"message\":\"hi\",\"timestamp\":\"t\"}",
                        "missing field 'username'"),
                Arguments.of(Dialect.TUTORIAL, "{\"type\":\"system\",\"message\":\"Hello\",\"clientId\":\"c\","
                        + "\"timestamp\":\"t\"}", "a welcome's 'message' must read"));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void refusesMalformedInputSayingWhatIsWrong(Dialect dialect, String text, String says) {
        assertThatThrownBy(() -> codec.decodeServer(text, dialect))
                .isInstanceOf(MalformedMessageException.class)
                .hasMessageContaining(says);
    }
}
