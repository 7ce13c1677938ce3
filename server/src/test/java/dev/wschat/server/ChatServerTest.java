package dev.wschat.server;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;

/** Both dialects against a real server on port 0, observed by independent JDK WebSocket clients. */
class ChatServerTest {
    private static final String ISO_TIMESTAMP = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

    @RegisterExtension
    final RunningServer server = RunningServer.withOptions("--max-rooms", "3", "--max-content-length", "100");

    private TestClient tutorial() {
        return server.tutorial();
    }

    private TestClient v2() {
        return server.connect();
    }

    /** A tutorial client past its welcome. */
    private TestClient welcomedTutorial() {
        TestClient c = tutorial();
        c.next();
        return c;
    }

    /** A second tutorial client past its welcome, with {@code first} past the notice that it joined. */
    private TestClient tutorialJoining(TestClient first) {
        TestClient second = welcomedTutorial();
        first.next();
        return second;
    }

    /** The next v2 notice of an {@code event} (join, leave, rename); concurrent joins may interleave others. */
    private static JsonObject nextEvent(TestClient c, String event) {
        return c.next(m -> "system".equals(str(m, "type")) && event.equals(str(m, "event")));
    }

    /** The next tutorial-dialect message whose text ends with {@code suffix}. */
    private static JsonObject nextEndingWith(TestClient c, String suffix) {
        return c.next(m -> str(m, "message") != null && str(m, "message").endsWith(suffix));
    }

    private static String welcomeV2(TestClient c) {
        JsonObject welcome = c.next();
        assertThat(str(welcome, "event")).isEqualTo("welcome");
        JsonObject presence = c.nextOfType("presence");
        assertThat(str(presence, "room")).isEqualTo("lobby");
        assertThat(str(c.nextOfType("history"), "room")).isEqualTo("lobby");
        return str(welcome, "clientId");
    }

    // ------------------------------------------------------------------ dialect 1: the tutorial

    @Test
    void tutorialClientIsWelcomedWithItsIdAndDefaultName() {
        TestClient a = tutorial();
        JsonObject welcome = a.next();
        String id = str(welcome, "clientId");
        assertThat(welcome.keySet()).containsExactly("type", "message", "clientId", "timestamp");
        assertThat(str(welcome, "type")).isEqualTo("system");
        assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        assertThat(str(welcome, "message")).isEqualTo("Welcome! You are connected as User-" + id.substring(0, 4));
        assertThat(str(welcome, "timestamp")).matches(ISO_TIMESTAMP);
        assertThat(a.subprotocol()).isEmpty();
    }

    @Test
    void othersAreToldWhenATutorialClientJoinsAndLeaves() {
        TestClient a = welcomedTutorial();
        TestClient b = tutorial();
        String bName = "User-" + str(b.next(), "clientId").substring(0, 4);

        JsonObject joined = a.next();
        assertThat(joined.keySet()).containsExactly("type", "message", "timestamp");
        assertThat(str(joined, "message")).isEqualTo(bName + " joined the chat");

        b.close();
        assertThat(str(a.next(), "message")).isEqualTo(bName + " left the chat");
    }

    @Test
    void tutorialChatReachesOthersButNotTheSender() {
        TestClient a = tutorial();
        String aName = "User-" + str(a.next(), "clientId").substring(0, 4);
        TestClient b = tutorialJoining(a);

        a.send("{\"type\":\"chat\",\"content\":\"Hello <b>everyone</b>\"}");
        JsonObject chat = b.nextOfType("chat");
        assertThat(chat.keySet()).containsExactly("type", "username", "message", "timestamp");
        assertThat(str(chat, "type")).isEqualTo("chat");
        assertThat(str(chat, "username")).isEqualTo(aName);
        assertThat(str(chat, "message")).isEqualTo("Hello <b>everyone</b>");
        assertThat(str(chat, "timestamp")).matches(ISO_TIMESTAMP);

        // The sender's next message is its own rename notice: its chat was not echoed back before it.
        a.send("{\"type\":\"setUsername\",\"username\":\"alice\"}");
        assertThat(str(a.next(), "message")).isEqualTo(aName + " is now known as alice");
    }

    @Test
    void textThatIsNotJsonIsAChatMessage() {
        TestClient a = welcomedTutorial();
        TestClient b = tutorialJoining(a);
        a.send("just some words {not json");
        JsonObject chat = b.nextOfType("chat");
        assertThat(str(chat, "type")).isEqualTo("chat");
        assertThat(str(chat, "message")).isEqualTo("just some words {not json");
    }

    @Test
    void renameIsCleanedAndToldToEveryoneIncludingTheSender() {
        TestClient a = tutorial();
        String aName = "User-" + str(a.next(), "clientId").substring(0, 4);
        TestClient b = tutorialJoining(a);

        a.send("{\"type\":\"setUsername\",\"username\":\"  Ali\\u0007ce the Magnificent of Wonderland  \"}");
        String expected = aName + " is now known as Alice the Magnificen";
        assertThat(str(a.next(), "message")).isEqualTo(expected);
        assertThat(str(nextEndingWith(b, "Alice the Magnificen"), "message")).isEqualTo(expected);

        a.send("{\"type\":\"chat\",\"content\":\"hi\"}");
        assertThat(str(b.nextOfType("chat"), "username")).isEqualTo("Alice the Magnificen");
    }

    @Test
    void unknownTypesAreIgnoredAndTheConnectionStaysOpen() {
        TestClient a = welcomedTutorial();
        TestClient b = tutorialJoining(a);
        a.send("{\"type\":\"dance\",\"content\":\"x\"}");
        a.send("[1,2,3]");
        a.send("{\"type\":\"chat\",\"content\":\"still here\"}");
        assertThat(str(b.nextOfType("chat"), "message")).isEqualTo("still here");
    }

    @Test
    void tutorialClientIsToldInWordsWhenItsMessageIsTooLong() {
        TestClient a = welcomedTutorial();
        a.send("{\"type\":\"chat\",\"content\":\"" + "x".repeat(101) + "\"}");
        JsonObject reply = a.next();
        assertThat(str(reply, "type")).isEqualTo("system");
        assertThat(str(reply, "message")).contains("101 characters").contains("limit is 100");
    }

    // ------------------------------------------------------------------ both dialects together

    @Test
    void bothDialectsTalkInTheLobby() {
        TestClient old = tutorial();
        String oldId = str(old.next(), "clientId");
        TestClient neu = v2();
        String neuId = welcomeV2(neu);
        assertThat(neu.subprotocol()).isEqualTo("wschat.v2");
        old.next(); // the notice that neu joined

        old.send("{\"type\":\"chat\",\"content\":\"from the tutorial\"}");
        JsonObject atNew = neu.nextOfType("chat");
        assertThat(str(atNew, "room")).isEqualTo("lobby");
        assertThat(str(atNew, "userId")).isEqualTo(oldId);
        assertThat(str(atNew, "message")).isEqualTo("from the tutorial");

        neu.sendJson("type", "chat", "room", "lobby", "content", "from v2");
        JsonObject atOld = old.next();
        assertThat(atOld.keySet()).containsExactly("type", "username", "message", "timestamp");
        assertThat(str(atOld, "username")).isEqualTo("User-" + neuId.substring(0, 4));
        assertThat(str(atOld, "message")).isEqualTo("from v2");
    }

    // ------------------------------------------------------------------ dialect 2

    @Test
    void v2ClientGetsWelcomeThenLobbyPresence() {
        TestClient a = v2();
        JsonObject welcome = a.next();
        assertThat(str(welcome, "type")).isEqualTo("system");
        assertThat(str(welcome, "event")).isEqualTo("welcome");
        String id = str(welcome, "clientId");
        assertThat(str(welcome, "username")).isEqualTo("User-" + id.substring(0, 4));
        assertThat(str(welcome, "message")).isEqualTo("Welcome! You are connected as User-" + id.substring(0, 4));

        assertThat(a.nextMessage()).isInstanceOfSatisfying(ServerMessage.Presence.class, presence -> {
            assertThat(presence.room()).isEqualTo("lobby");
            assertThat(ids(presence)).containsExactly(id);
        });
    }

    @Test
    void chatIsEchoedToTheSenderWithTheServersIdSeqAndTimestamp() {
        TestClient a = v2();
        String aId = welcomeV2(a);
        TestClient b = v2();
        welcomeV2(b);
        nextEvent(a, "join"); // b joined

        a.sendJson("type", "chat", "room", "lobby", "content", "first");
        a.sendJson("type", "chat", "room", "lobby", "content", "second");
        JsonObject echo1 = a.nextOfType("chat");
        JsonObject echo2 = a.nextOfType("chat");
        JsonObject atB1 = b.nextOfType("chat");
        JsonObject atB2 = b.nextOfType("chat");

        assertThat(echo1.keySet()).containsExactly("type", "room", "id", "seq", "userId", "username", "message",
                "timestamp");
        assertThat(str(echo1, "userId")).isEqualTo(aId);
        assertThat(str(echo1, "message")).isEqualTo("first");
        assertThat(str(echo1, "timestamp")).matches(ISO_TIMESTAMP);
        assertThat(echo2.get("seq").getAsLong()).isEqualTo(echo1.get("seq").getAsLong() + 1);
        assertThat(str(echo2, "id")).isNotEqualTo(str(echo1, "id"));
        assertThat(atB1).isEqualTo(echo1);
        assertThat(atB2).isEqualTo(echo2);
    }

    @Test
    void joinGivesPresenceToTheJoinerAndANoticeToTheRoom() {
        TestClient a = v2();
        String aId = welcomeV2(a);
        TestClient b = v2();
        String bId = welcomeV2(b);
        nextEvent(a, "join");

        a.sendJson("type", "join", "room", "dev");
        ServerMessage.Presence aPresence = a.nextOf(ServerMessage.Presence.class);
        assertThat(aPresence.room()).isEqualTo("dev");
        assertThat(ids(aPresence)).containsExactly(aId);

        b.sendJson("type", "join", "room", "dev");
        assertThat(ids(b.nextOf(ServerMessage.Presence.class))).containsExactlyInAnyOrder(aId, bId);
        JsonObject notice = a.next(m -> "join".equals(str(m, "event")) && "dev".equals(str(m, "room")));
        assertThat(str(notice, "event")).isEqualTo("join");
        assertThat(str(notice, "room")).isEqualTo("dev");
        assertThat(str(notice.getAsJsonObject("user"), "id")).isEqualTo(bId);
        assertThat(str(notice, "message")).endsWith(" joined dev");
    }

    @Test
    void roomsAreIsolatedFromEachOther() {
        TestClient a = v2();
        welcomeV2(a);
        TestClient b = v2();
        welcomeV2(b);
        nextEvent(a, "join");
        a.sendJson("type", "join", "room", "red");
        a.nextOfType("presence");
        b.sendJson("type", "join", "room", "blue");
        b.nextOfType("presence");

        a.sendJson("type", "chat", "room", "red", "content", "only red");
        b.sendJson("type", "chat", "room", "blue", "content", "only blue");
        assertThat(str(a.nextOfType("chat"), "message")).isEqualTo("only red");
        assertThat(str(b.nextOfType("chat"), "message")).isEqualTo("only blue");
        // Each one's next chat is the lobby marker, not the other room's message.
        a.sendJson("type", "chat", "room", "lobby", "content", "marker");
        assertThat(str(b.nextOfType("chat"), "message")).isEqualTo("marker");
        assertThat(str(a.nextOfType("chat"), "message")).isEqualTo("marker");
    }

    @Test
    void leaveTellsTheRoomAndRemovesTheRoomWhenEmpty() {
        TestClient a = v2();
        String aId = welcomeV2(a);
        TestClient b = v2();
        welcomeV2(b);
        nextEvent(a, "join");
        a.sendJson("type", "join", "room", "tmp");
        a.nextOfType("presence");
        b.sendJson("type", "join", "room", "tmp");
        b.nextOfType("presence");
        nextEvent(a, "join");

        a.sendJson("type", "leave", "room", "tmp");
        JsonObject own = nextEvent(a, "leave");
        assertThat(str(own, "room")).isEqualTo("tmp");
        assertThat(str(own.getAsJsonObject("user"), "id")).isEqualTo(aId);
        JsonObject atB = nextEvent(b, "leave");
        assertThat(str(atB, "room")).isEqualTo("tmp");
        assertThat(str(atB.getAsJsonObject("user"), "id")).isEqualTo(aId);

        a.sendJson("type", "chat", "room", "tmp", "content", "x");
        assertThat(str(a.nextOfType("error"), "code")).isEqualTo("not_in_room");

        a.sendJson("type", "rooms");
        assertThat(roomNames(a.nextOfType("rooms"))).containsExactlyInAnyOrder("lobby", "tmp");
        b.sendJson("type", "leave", "room", "tmp");
        nextEvent(b, "leave");
        b.sendJson("type", "rooms");
        JsonObject rooms = b.nextOfType("rooms");
        assertThat(roomNames(rooms)).containsExactly("lobby");
        assertThat(rooms.getAsJsonArray("rooms").get(0).getAsJsonObject().get("members").getAsInt()).isEqualTo(2);
    }

    @Test
    void roomDisappearsWhenItsLastMemberDisconnects() {
        TestClient a = v2();
        welcomeV2(a);
        a.sendJson("type", "join", "room", "gone-soon");
        a.nextOfType("presence");
        TestClient b = v2();
        welcomeV2(b);
        b.sendJson("type", "rooms");
        assertThat(roomNames(b.nextOfType("rooms"))).contains("gone-soon");

        a.close();
        nextEvent(b, "leave"); // a left the lobby: its disconnect has been handled
        b.sendJson("type", "rooms");
        assertThat(roomNames(b.nextOfType("rooms"))).containsExactly("lobby");
    }

    @Test
    void whoListsTheMembersOfAJoinedRoomOnly() {
        TestClient a = v2();
        String aId = welcomeV2(a);
        TestClient b = v2();
        String bId = welcomeV2(b);
        a.sendJson("type", "who", "room", "lobby");
        assertThat(ids(a.nextOf(ServerMessage.Presence.class))).containsExactlyInAnyOrder(aId, bId);
        a.sendJson("type", "who", "room", "elsewhere", "ref", "w1");
        JsonObject error = a.nextOfType("error");
        assertThat(str(error, "code")).isEqualTo("not_in_room");
        assertThat(str(error, "ref")).isEqualTo("w1");
    }

    @Test
    void renameIsAnnouncedWithOldAndNewName() {
        TestClient a = v2();
        String aId = welcomeV2(a);
        TestClient b = v2();
        welcomeV2(b);
        nextEvent(a, "join");
        a.sendJson("type", "setUsername", "username", "Zoe");
        JsonObject atB = nextEvent(b, "rename");
        assertThat(str(atB, "event")).isEqualTo("rename");
        assertThat(str(atB, "oldUsername")).isEqualTo("User-" + aId.substring(0, 4));
        assertThat(str(atB.getAsJsonObject("user"), "username")).isEqualTo("Zoe");
        assertThat(str(nextEvent(a, "rename"), "event")).isEqualTo("rename");
    }

    @Test
    void directMessagesReachOnlyTheirTwoEnds() {
        TestClient a = v2();
        String aId = welcomeV2(a);
        TestClient b = v2();
        String bId = welcomeV2(b);
        TestClient c = v2();
        welcomeV2(c);

        a.sendJson("type", "dm", "to", bId, "content", "psst");
        JsonObject atB = b.nextOfType("dm");
        JsonObject atA = a.nextOfType("dm");
        assertThat(atB).isEqualTo(atA);
        assertThat(str(atB, "to")).isEqualTo(bId);
        assertThat(str(atB.getAsJsonObject("from"), "id")).isEqualTo(aId);
        assertThat(str(atB, "message")).isEqualTo("psst");

        // c's next chat-or-dm is the lobby marker sent after the DM, so the DM never reached c.
        a.sendJson("type", "chat", "room", "lobby", "content", "marker");
        JsonObject atC = c.next(m -> "dm".equals(str(m, "type")) || "chat".equals(str(m, "type")));
        assertThat(str(atC, "type")).isEqualTo("chat");
        assertThat(str(atC, "message")).isEqualTo("marker");

        a.sendJson("type", "dm", "to", "no-such-id", "content", "hello?");
        assertThat(str(a.nextOfType("error"), "code")).isEqualTo("no_such_user");
    }

    @Test
    void everyRefusalIsAnErrorAndTheConnectionStaysOpen() {
        TestClient a = v2();
        welcomeV2(a);
        a.send("not json at all");
        assertError(a, "bad_request");
        a.send("[\"an\",\"array\"]");
        assertError(a, "bad_request");
        a.send("{\"type\":\"chat\",\"room\":\"lobby\"}");
        assertError(a, "bad_request");
        a.send("{\"room\":\"lobby\"}");
        assertError(a, "bad_request");
        a.send("{\"type\":\"teleport\",\"ref\":\"r7\"}");
        JsonObject unknown = a.nextOfType("error");
        assertThat(str(unknown, "code")).isEqualTo("unknown_type");
        assertThat(str(unknown, "ref")).isEqualTo("r7");
        a.sendJson("type", "chat", "room", "lobby", "content", "y".repeat(101));
        assertError(a, "too_long");
        a.sendJson("type", "setUsername", "username", " \t\u0000 ");
        assertError(a, "invalid_name");
        a.sendJson("type", "join", "room", "no spaces allowed");
        assertError(a, "invalid_room");
        a.sendJson("type", "join", "room", "r".repeat(33));
        assertError(a, "invalid_room");
        a.sendJson("type", "chat", "room", "notjoined", "content", "x");
        assertError(a, "not_in_room");
        a.send("[".repeat(50) + "]".repeat(50));
        assertError(a, "bad_request");

        a.sendJson("type", "join", "room", "two");
        a.nextOfType("presence");
        a.sendJson("type", "join", "room", "three");
        a.nextOfType("presence");
        a.sendJson("type", "join", "room", "four");
        JsonObject tooMany = a.nextOfType("error");
        assertThat(str(tooMany, "code")).isEqualTo("too_many_rooms");

        a.sendJson("type", "chat", "room", "lobby", "content", "still connected");
        assertThat(str(a.nextOfType("chat"), "message")).isEqualTo("still connected");
    }

    private static void assertError(TestClient c, String code) {
        JsonObject error = c.next();
        assertThat(str(error, "type")).as("reply %s", error).isEqualTo("error");
        assertThat(str(error, "code")).isEqualTo(code);
        assertThat(str(error, "message")).isNotBlank();
    }

    // ------------------------------------------------------------------ HTTP

    @Test
    void servesTheClientPageAtRootAndA404ForUnknownPaths() throws Exception {
        HttpResponse<String> page = server.get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("content-security-policy").orElseThrow()).contains("script-src 'self'");
        assertThat(page.body()).contains("<html");

        HttpResponse<String> missing = server.get("/nope.html");
        assertThat(missing.statusCode()).isEqualTo(404);

        HttpResponse<String> traversal = server.get("/../log4j2.xml");
        assertThat(traversal.statusCode()).isEqualTo(404);
    }

    @Test
    void webSocketOnAnotherPathIsRefused() {
        assertThat(TestClient.to(server.ws("/elsewhere")).refusal().statusCode()).isEqualTo(404);
    }

    private static List<String> ids(ServerMessage.Presence presence) {
        return presence.users().stream().map(ServerMessage.User::id).toList();
    }

    private static List<String> roomNames(JsonObject rooms) {
        List<String> names = new ArrayList<>();
        for (JsonElement r : rooms.getAsJsonArray("rooms")) {
            names.add(str(r.getAsJsonObject(), "name"));
        }
        return names;
    }
}
