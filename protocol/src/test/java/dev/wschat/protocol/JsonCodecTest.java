package dev.wschat.protocol;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** Every message shape of both dialects, and malformed input of every kind. */
class JsonCodecTest {
    private static final String TS = "2026-11-26T13:45:00.123Z";
    private static final ServerMessage.User ALICE = new ServerMessage.User("a1", "alice");
    private final JsonCodec codec = new JsonCodec(50);

    // ---------------------------------------------------------------- client messages, dialect 2

    static Stream<Arguments> v2ClientMessages() {
        return Stream.of(
                Arguments.of("{\"type\":\"join\",\"room\":\"dev\"}", new ClientMessage.Join("dev", null)),
                Arguments.of("{\"type\":\"leave\",\"room\":\"dev\",\"ref\":\"r1\"}", new ClientMessage.Leave("dev", "r1")),
                Arguments.of("{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"hi <b>\"}",
                        new ClientMessage.Chat("lobby", "hi <b>", null)),
                Arguments.of("{\"type\":\"setUsername\",\"username\":\"  bob \"}", new ClientMessage.SetUsername("bob", null)),
                Arguments.of("{\"type\":\"who\",\"room\":\"a.b-c_d\"}", new ClientMessage.Who("a.b-c_d", null)),
                Arguments.of("{\"type\":\"rooms\"}", new ClientMessage.ListRooms(null)),
                Arguments.of("{\"type\":\"dm\",\"to\":\"x-1\",\"content\":\"psst\",\"ref\":\"7\"}",
                        new ClientMessage.DirectMessage("x-1", "psst", "7")));
    }

    @ParameterizedTest
    @MethodSource("v2ClientMessages")
    void decodesEveryV2ClientMessage(String json, ClientMessage expected) {
        assertThat(codec.decode(json, Dialect.V2)).isEqualTo(expected);
    }

    static Stream<Arguments> v2Malformed() {
        return Stream.of(
                Arguments.of("not json", ErrorCode.BAD_REQUEST),
                Arguments.of("", ErrorCode.BAD_REQUEST),
                Arguments.of("{\"type\":\"chat\"", ErrorCode.BAD_REQUEST),
                Arguments.of("{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"x\"} trailing", ErrorCode.BAD_REQUEST),
                Arguments.of("{'type':'rooms'}", ErrorCode.BAD_REQUEST),
                Arguments.of("hello", ErrorCode.BAD_REQUEST),
                Arguments.of("42", ErrorCode.BAD_REQUEST),
                Arguments.of("null", ErrorCode.BAD_REQUEST),
                Arguments.of("[]", ErrorCode.BAD_REQUEST),
                Arguments.of("{}", ErrorCode.BAD_REQUEST),
                Arguments.of("{\"type\":7}", ErrorCode.BAD_REQUEST),
                Arguments.of("{\"type\":\"chat\",\"room\":\"lobby\"}", ErrorCode.BAD_REQUEST),
                Arguments.of("{\"type\":\"chat\",\"room\":\"lobby\",\"content\":5}", ErrorCode.BAD_REQUEST),
                Arguments.of("{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"   \"}", ErrorCode.BAD_REQUEST),
                Arguments.of("{\"type\":\"chat\",\"content\":\"x\"}", ErrorCode.BAD_REQUEST),
                Arguments.of("{\"type\":\"join\"}", ErrorCode.BAD_REQUEST),
                Arguments.of("{\"type\":\"dm\",\"content\":\"x\"}", ErrorCode.BAD_REQUEST),
                Arguments.of("{\"type\":\"dm\",\"to\":\"x\"}", ErrorCode.BAD_REQUEST),
                Arguments.of("{\"type\":\"setUsername\"}", ErrorCode.BAD_REQUEST),
                Arguments.of("{\"type\":\"rooms\",\"ref\":{\"a\":1}}", ErrorCode.BAD_REQUEST),
                Arguments.of("{\"type\":\"rooms\",\"ref\":\"" + "r".repeat(65) + "\"}", ErrorCode.BAD_REQUEST),
                Arguments.of("[".repeat(10_000) + "]".repeat(10_000), ErrorCode.BAD_REQUEST),
                Arguments.of("{\"a\":".repeat(17) + "1" + "}".repeat(17), ErrorCode.BAD_REQUEST),
                Arguments.of("{\"type\":\"fly\"}", ErrorCode.UNKNOWN_TYPE),
                Arguments.of("{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"" + "x".repeat(51) + "\"}",
                        ErrorCode.TOO_LONG),
                Arguments.of("{\"type\":\"dm\",\"to\":\"u\",\"content\":\"" + "x".repeat(51) + "\"}", ErrorCode.TOO_LONG),
                Arguments.of("{\"type\":\"setUsername\",\"username\":\" \\u0000\\t \"}", ErrorCode.INVALID_NAME),
                Arguments.of("{\"type\":\"join\",\"room\":\"\"}", ErrorCode.INVALID_ROOM),
                Arguments.of("{\"type\":\"join\",\"room\":\"has space\"}", ErrorCode.INVALID_ROOM),
                Arguments.of("{\"type\":\"join\",\"room\":\"-leading\"}", ErrorCode.INVALID_ROOM),
                Arguments.of("{\"type\":\"join\",\"room\":\"" + "r".repeat(33) + "\"}", ErrorCode.INVALID_ROOM),
                Arguments.of("{\"type\":\"chat\",\"room\":\"../etc\",\"content\":\"x\"}", ErrorCode.INVALID_ROOM));
    }

    @ParameterizedTest
    @MethodSource("v2Malformed")
    void refusesMalformedV2InputWithTheRightCode(String text, ErrorCode code) {
        ClientMessage decoded = codec.decode(text, Dialect.V2);
        assertThat(decoded).isInstanceOf(ClientMessage.Invalid.class);
        assertThat(((ClientMessage.Invalid) decoded).code()).isEqualTo(code);
        assertThat(((ClientMessage.Invalid) decoded).message()).isNotBlank();
    }

    @Test
    void echoesTheRefOfARefusedMessage() {
        ClientMessage decoded = codec.decode("{\"type\":\"nope\",\"ref\":\"abc\"}", Dialect.V2);
        assertThat(decoded).isEqualTo(new ClientMessage.Invalid(ErrorCode.UNKNOWN_TYPE, "Unknown message type 'nope'", "abc"));
    }

    // ---------------------------------------------------------------- client messages, the tutorial dialect

    @Test
    void tutorialDialectFollowsTheTutorialsServer() {
        assertThat(codec.decode("{\"type\":\"chat\",\"content\":\"hi\"}", Dialect.TUTORIAL))
                .isEqualTo(new ClientMessage.Chat(null, "hi", null));
        assertThat(codec.decode("{\"type\":\"setUsername\",\"username\":\"bob\"}", Dialect.TUTORIAL))
                .isEqualTo(new ClientMessage.SetUsername("bob", null));
        assertThat(codec.decode("plain words", Dialect.TUTORIAL)).isEqualTo(new ClientMessage.Chat(null, "plain words", null));
        assertThat(codec.decode("{\"type\":\"chat\"", Dialect.TUTORIAL))
                .isEqualTo(new ClientMessage.Chat(null, "{\"type\":\"chat\"", null));
        assertThat(codec.decode("{\"type\":\"wave\"}", Dialect.TUTORIAL)).isEqualTo(new ClientMessage.Ignored("wave"));
        assertThat(codec.decode("[1]", Dialect.TUTORIAL)).isEqualTo(new ClientMessage.Ignored(null));
        assertThat(codec.decode("{\"type\":\"chat\",\"content\":42}", Dialect.TUTORIAL))
                .isEqualTo(new ClientMessage.Chat(null, "42", null));
    }

    @Test
    void tutorialDialectStillEnforcesTheLimits() {
        assertThat(codec.decode("x".repeat(51), Dialect.TUTORIAL))
                .isInstanceOfSatisfying(ClientMessage.Invalid.class, i -> assertThat(i.code()).isEqualTo(ErrorCode.TOO_LONG));
        assertThat(codec.decode("{\"type\":\"setUsername\",\"username\":\"\\u0001\"}", Dialect.TUTORIAL))
                .isInstanceOfSatisfying(ClientMessage.Invalid.class,
                        i -> assertThat(i.code()).isEqualTo(ErrorCode.INVALID_NAME));
    }

    @ParameterizedTest
    @ValueSource(strings = {"\uD800", "{\"type\":\"chat\",\"content\":\"\\uD800\"}", "{\"type\":\"chat\",\"content\":\"\\u12\"}",
            "{\"a\":1e999999}", "\u0000", "{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"ok\",\"type\":\"join\"}"})
    void neverThrowsOnOddInput(String text) {
        for (Dialect dialect : Dialect.values()) {
            assertThatCode(() -> codec.decode(text, dialect)).doesNotThrowAnyException();
            assertThat(codec.decode(text, dialect)).isNotNull();
        }
    }

    // ---------------------------------------------------------------- server messages

    static Stream<Arguments> serverMessages() {
        return Stream.of(
                Arguments.of(new ServerMessage.Welcome("a1", "alice", TS),
                        "{\"type\":\"system\",\"message\":\"Welcome! You are connected as alice\",\"clientId\":\"a1\",\"timestamp\":\"" + TS + "\"}",
                        "{\"type\":\"system\",\"event\":\"welcome\",\"message\":\"Welcome! You are connected as alice\",\"clientId\":\"a1\",\"username\":\"alice\",\"timestamp\":\"" + TS + "\"}"),
                Arguments.of(new ServerMessage.Notice(ServerMessage.NoticeKind.JOIN, "lobby", ALICE, null, TS),
                        "{\"type\":\"system\",\"message\":\"alice joined the chat\",\"timestamp\":\"" + TS + "\"}",
                        "{\"type\":\"system\",\"event\":\"join\",\"room\":\"lobby\",\"user\":{\"id\":\"a1\",\"username\":\"alice\"},\"message\":\"alice joined the chat\",\"timestamp\":\"" + TS + "\"}"),
                Arguments.of(new ServerMessage.Notice(ServerMessage.NoticeKind.LEAVE, "dev", ALICE, null, TS),
                        "{\"type\":\"system\",\"message\":\"alice left the chat\",\"timestamp\":\"" + TS + "\"}",
                        "{\"type\":\"system\",\"event\":\"leave\",\"room\":\"dev\",\"user\":{\"id\":\"a1\",\"username\":\"alice\"},\"message\":\"alice left dev\",\"timestamp\":\"" + TS + "\"}"),
                Arguments.of(new ServerMessage.Notice(ServerMessage.NoticeKind.RENAME, "lobby", ALICE, "User-a1b2", TS),
                        "{\"type\":\"system\",\"message\":\"User-a1b2 is now known as alice\",\"timestamp\":\"" + TS + "\"}",
                        "{\"type\":\"system\",\"event\":\"rename\",\"room\":\"lobby\",\"user\":{\"id\":\"a1\",\"username\":\"alice\"},\"oldUsername\":\"User-a1b2\",\"message\":\"User-a1b2 is now known as alice\",\"timestamp\":\"" + TS + "\"}"),
                Arguments.of(new ServerMessage.SystemText("note", TS),
                        "{\"type\":\"system\",\"message\":\"note\",\"timestamp\":\"" + TS + "\"}",
                        "{\"type\":\"system\",\"message\":\"note\",\"timestamp\":\"" + TS + "\"}"),
                Arguments.of(new ServerMessage.Chat("lobby", "m1", 3, ALICE, "<img src=x> \"q\" \u00e9\u6f22", TS),
                        "{\"type\":\"chat\",\"username\":\"alice\",\"message\":\"<img src=x> \\\"q\\\" \u00e9\u6f22\",\"timestamp\":\"" + TS + "\"}",
                        "{\"type\":\"chat\",\"room\":\"lobby\",\"id\":\"m1\",\"seq\":3,\"userId\":\"a1\",\"username\":\"alice\",\"message\":\"<img src=x> \\\"q\\\" \u00e9\u6f22\",\"timestamp\":\"" + TS + "\"}"),
                Arguments.of(new ServerMessage.Presence("dev", List.of(ALICE, new ServerMessage.User("b2", "bob"))),
                        null,
                        "{\"type\":\"presence\",\"room\":\"dev\",\"users\":[{\"id\":\"a1\",\"username\":\"alice\"},{\"id\":\"b2\",\"username\":\"bob\"}],\"total\":2}"),
                Arguments.of(new ServerMessage.Presence("dev", List.of(ALICE), 250, "b2", "w1"),
                        null,
                        "{\"type\":\"presence\",\"room\":\"dev\",\"users\":[{\"id\":\"a1\",\"username\":\"alice\"}],\"total\":250,\"next\":\"b2\",\"ref\":\"w1\"}"),
                Arguments.of(new ServerMessage.RoomList(List.of(new ServerMessage.RoomInfo("lobby", 2))),
                        null,
                        "{\"type\":\"rooms\",\"rooms\":[{\"name\":\"lobby\",\"members\":2}]}"),
                Arguments.of(new ServerMessage.Direct("m2", ALICE, "b2", "psst", TS),
                        "{\"type\":\"chat\",\"username\":\"alice (direct)\",\"message\":\"psst\",\"timestamp\":\"" + TS + "\"}",
                        "{\"type\":\"dm\",\"id\":\"m2\",\"from\":{\"id\":\"a1\",\"username\":\"alice\"},\"to\":\"b2\",\"message\":\"psst\",\"timestamp\":\"" + TS + "\"}"),
                Arguments.of(new ServerMessage.Error(ErrorCode.TOO_LONG, "too long", "r9"),
                        null,
                        "{\"type\":\"error\",\"code\":\"too_long\",\"message\":\"too long\",\"ref\":\"r9\"}"));
    }

    @ParameterizedTest
    @MethodSource("serverMessages")
    void encodesEveryServerMessageInBothDialects(ServerMessage message, String tutorial, String v2) {
        if (message instanceof ServerMessage.Error) {
            JsonObject t = JsonParser.parseString(codec.encode(message, Dialect.TUTORIAL)).getAsJsonObject();
            assertThat(t.get("type").getAsString()).isEqualTo("system");
            assertThat(t.get("message").getAsString()).isEqualTo("too long");
        } else {
            assertThat(codec.encode(message, Dialect.TUTORIAL)).isEqualTo(tutorial);
        }
        assertThat(codec.encode(message, Dialect.V2)).isEqualTo(v2);
    }

    @Test
    void encodedTextIsValidJsonThatRoundTripsTheContent() {
        String tricky = "line\nbreak \u2028 \\ \" </script> \uD83D\uDE00";
        String text = codec.encode(new ServerMessage.Chat("r", "m", 1, ALICE, tricky, TS), Dialect.V2);
        assertThat(JsonParser.parseString(text).getAsJsonObject().get("message").getAsString()).isEqualTo(tricky);
        // What a v2 client sends decodes to what the server then encodes: content survives the round trip.
        JsonObject sent = new JsonObject();
        sent.addProperty("type", "chat");
        sent.addProperty("room", "r");
        sent.addProperty("content", tricky);
        ClientMessage.Chat decoded = (ClientMessage.Chat) new JsonCodec().decode(sent.toString(), Dialect.V2);
        assertThat(decoded.content()).isEqualTo(tricky);
    }

    // ---------------------------------------------------------------- history, acknowledgements and resume

    static Stream<Arguments> historyClientMessages() {
        return Stream.of(
                Arguments.of("{\"type\":\"chat\",\"room\":\"dev\",\"content\":\"hi\",\"clientMsgId\":\"c-17\"}",
                        new ClientMessage.Chat("dev", "hi", "c-17", null)),
                Arguments.of("{\"type\":\"join\",\"room\":\"dev\",\"since\":41,\"epoch\":\"e1\",\"ref\":\"j\"}",
                        new ClientMessage.Join("dev", 41L, "e1", "j")),
                Arguments.of("{\"type\":\"join\",\"room\":\"dev\",\"since\":0}",
                        new ClientMessage.Join("dev", 0L, null, null)),
                Arguments.of("{\"type\":\"join\",\"room\":\"dev\",\"since\":null,\"epoch\":null}",
                        new ClientMessage.Join("dev", null)),
                Arguments.of("{\"type\":\"history\",\"room\":\"dev\",\"before\":41,\"limit\":50,\"ref\":\"p1\"}",
                        new ClientMessage.HistoryRequest("dev", 41, 50, "p1")),
                Arguments.of("{\"type\":\"who\",\"room\":\"dev\",\"cursor\":\"abc\",\"limit\":20,\"ref\":\"w\"}",
                        new ClientMessage.Who("dev", "abc", 20, "w")),
                Arguments.of("{\"type\":\"history\",\"room\":\"dev\"}",
                        new ClientMessage.HistoryRequest("dev", Long.MAX_VALUE, JsonCodec.DEFAULT_HISTORY_PAGE, null)),
                Arguments.of("{\"type\":\"history\",\"room\":\"dev\",\"limit\":200.0}",
                        new ClientMessage.HistoryRequest("dev", Long.MAX_VALUE, 200, null)),
                Arguments.of("{\"type\":\"resume\",\"rooms\":[{\"room\":\"dev\",\"since\":41,\"epoch\":\"e1\"},"
                                + "{\"room\":\"lobby\"}],\"ref\":\"r\"}",
                        new ClientMessage.Resume(List.of(new ClientMessage.Join("dev", 41L, "e1", "r"),
                                new ClientMessage.Join("lobby", "r")), "r")),
                Arguments.of("{\"type\":\"resume\",\"rooms\":[]}", new ClientMessage.Resume(List.of(), null)));
    }

    @ParameterizedTest
    @MethodSource("historyClientMessages")
    void decodesAcknowledgedChatResumeAndPaging(String json, ClientMessage expected) {
        assertThat(codec.decode(json, Dialect.V2)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"type\":\"chat\",\"room\":\"dev\",\"content\":\"hi\",\"clientMsgId\":\"\"}",
            "{\"type\":\"chat\",\"room\":\"dev\",\"content\":\"hi\",\"clientMsgId\":17}",
            "{\"type\":\"join\",\"room\":\"dev\",\"since\":-1}",
            "{\"type\":\"join\",\"room\":\"dev\",\"since\":1.5}",
            "{\"type\":\"join\",\"room\":\"dev\",\"since\":\"41\"}",
            "{\"type\":\"join\",\"room\":\"dev\",\"since\":1e30}",
            "{\"type\":\"join\",\"room\":\"dev\",\"since\":4,\"epoch\":7}",
            "{\"type\":\"resume\"}",
            "{\"type\":\"resume\",\"rooms\":{}}",
            "{\"type\":\"resume\",\"rooms\":[\"dev\"]}",
            "{\"type\":\"resume\",\"rooms\":[{\"since\":4}]}",
            "{\"type\":\"resume\",\"rooms\":[{\"room\":\"dev\",\"since\":-4}]}",
            "{\"type\":\"history\"}",
            "{\"type\":\"who\",\"room\":\"dev\",\"limit\":1001}",
            "{\"type\":\"who\",\"room\":\"dev\",\"limit\":0}",
            "{\"type\":\"who\",\"room\":\"dev\",\"cursor\":\"\"}",
            "{\"type\":\"who\",\"room\":\"dev\",\"cursor\":5}",
            "{\"type\":\"history\",\"room\":\"dev\",\"before\":0}",
            "{\"type\":\"history\",\"room\":\"dev\",\"limit\":0}",
            "{\"type\":\"history\",\"room\":\"dev\",\"limit\":201}",
            "{\"type\":\"history\",\"room\":\"dev\",\"limit\":\"5\"}"})
    void refusesBadHistoryFieldsWithBadRequest(String text) {
        assertThat(codec.decode(text, Dialect.V2)).isInstanceOfSatisfying(ClientMessage.Invalid.class,
                i -> assertThat(i.code()).isEqualTo(ErrorCode.BAD_REQUEST));
        assertThat(codec.decode("{\"type\":\"chat\",\"room\":\"dev\",\"content\":\"hi\",\"clientMsgId\":\""
                + "c".repeat(Limits.MAX_CLIENT_MSG_ID_LENGTH + 1) + "\"}", Dialect.V2))
                .isInstanceOf(ClientMessage.Invalid.class);
    }

    @Test
    void encodesAcksHistoryPagesAndTheResumeToken() {
        ServerMessage.Chat c = new ServerMessage.Chat("dev", "m1", 42, ALICE, "hi", TS);
        String chat = "{\"type\":\"chat\",\"room\":\"dev\",\"id\":\"m1\",\"seq\":42,\"userId\":\"a1\","
                + "\"username\":\"alice\",\"message\":\"hi\",\"timestamp\":\"" + TS + "\"}";
        assertThat(codec.encode(new ServerMessage.Ack("dev", "c-17", "m1", 42, false), Dialect.V2))
                .isEqualTo("{\"type\":\"ack\",\"room\":\"dev\",\"clientMsgId\":\"c-17\",\"id\":\"m1\",\"seq\":42}");
        assertThat(codec.encode(new ServerMessage.Ack("dev", "c-17", "m1", 42, true), Dialect.V2))
                .isEqualTo("{\"type\":\"ack\",\"room\":\"dev\",\"clientMsgId\":\"c-17\",\"id\":\"m1\",\"seq\":42,"
                        + "\"duplicate\":true}");
        assertThat(codec.encode(new ServerMessage.History("dev", "e1", List.of(c), true, null, null), Dialect.V2))
                .isEqualTo("{\"type\":\"history\",\"room\":\"dev\",\"epoch\":\"e1\",\"messages\":[" + chat
                        + "],\"hasMore\":true}");
        assertThat(codec.encode(new ServerMessage.History("dev", "e1", List.of(), false, true, "p1"), Dialect.V2))
                .isEqualTo("{\"type\":\"history\",\"room\":\"dev\",\"epoch\":\"e1\",\"messages\":[],"
                        + "\"hasMore\":false,\"recovered\":true,\"ref\":\"p1\"}");
        assertThat(codec.encode(new ServerMessage.Welcome("a1", "alice", TS, "tok"), Dialect.V2))
                .endsWith(",\"timestamp\":\"" + TS + "\",\"resumeToken\":\"tok\"}");
        assertThat(codec.encode(new ServerMessage.Welcome("a1", "alice", TS, "tok", true), Dialect.V2))
                .endsWith(",\"timestamp\":\"" + TS + "\",\"resumeToken\":\"tok\",\"resumed\":true}");
        assertThat(codec.encode(new ServerMessage.Welcome("a1", "alice", TS, "tok", false), Dialect.V2))
                .endsWith(",\"resumeToken\":\"tok\",\"resumed\":false}");
        assertThat(codec.encode(new ServerMessage.Welcome("a1", "alice", TS, "tok", true), Dialect.TUTORIAL))
                .doesNotContain("tok").doesNotContain("resumed");
        assertThat(codec.encode(new ServerMessage.Token("tok2"), Dialect.V2))
                .isEqualTo("{\"type\":\"token\",\"resumeToken\":\"tok2\"}");
        assertThat(codec.encode(new ServerMessage.Token("tok2"), Dialect.TUTORIAL)).isNull();
        // The tutorial has no acks, pages or resume tokens: the server replays history there as plain chats.
        assertThat(codec.encode(new ServerMessage.Ack("dev", "c", "m1", 1, false), Dialect.TUTORIAL)).isNull();
        assertThat(codec.encode(new ServerMessage.History("dev", "e1", List.of(c), false, null, null),
                Dialect.TUTORIAL)).isNull();
        assertThat(codec.encode(new ServerMessage.Welcome("a1", "alice", TS, "tok"), Dialect.TUTORIAL))
                .doesNotContain("tok");
        assertThat(codec.encode(new ServerMessage.Error(ErrorCode.UNAVAILABLE, "later", "r"), Dialect.V2))
                .contains("\"code\":\"unavailable\"");
    }

    @Test
    void aResumeListingMoreRoomsThanTheLimitIsABadRequest() {
        StringBuilder rooms = new StringBuilder();
        for (int i = 0; i <= Limits.MAX_RESUME_ROOMS; i++) {
            rooms.append(i == 0 ? "" : ",").append("{\"room\":\"r").append(i).append("\"}");
        }
        ClientMessage decoded = codec.decode("{\"type\":\"resume\",\"rooms\":[" + rooms + "]}", Dialect.V2);
        assertThat(decoded).isInstanceOfSatisfying(ClientMessage.Invalid.class,
                bad -> assertThat(bad.code()).isEqualTo(ErrorCode.BAD_REQUEST));
        ClientMessage.Resume resume = new ClientMessage.Resume(List.of(new ClientMessage.Join("dev", 41L, "e1", null)),
                null);
        assertThat(codec.decode(codec.encodeClient(resume, Dialect.V2), Dialect.V2)).isEqualTo(resume);
    }

    @Test
    void everyDialectTwoClientMessageEncodesToTextThatDecodesBackEqual() {
        List<ClientMessage> all = List.of(
                new ClientMessage.Chat("dev", "hi", "c1", "r1"),
                new ClientMessage.SetUsername("alice", "r2"),
                new ClientMessage.Join("dev", 7L, "e1", "r3"),
                new ClientMessage.Leave("dev", "r4"),
                new ClientMessage.Who("dev", null, 0, null),
                new ClientMessage.Who("dev", "dTAwOTk", 25, "r5"),
                new ClientMessage.HistoryRequest("dev", Long.MAX_VALUE, JsonCodec.DEFAULT_HISTORY_PAGE, null),
                new ClientMessage.HistoryRequest("dev", 120, 10, "r6"),
                new ClientMessage.DirectMessage("u-2", "psst", "r7"));
        for (ClientMessage m : all) {
            assertThat(codec.decode(codec.encodeClient(m, Dialect.V2), Dialect.V2)).as(m.toString()).isEqualTo(m);
        }
    }
}
