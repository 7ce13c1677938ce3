package dev.wschat.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.wschat.protocol.CloseCodes;
import dev.wschat.server.auth.TestTokens;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static dev.wschat.server.testing.RunningServer.noRateLimit;
import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Session resume on one in-process server, as clients observe it: a dropped connection that comes back with its
 * resume token keeps its id, name, rooms and presence, its rooms see no leave, join or rename, and one
 * {@code resume} message catches every room up exactly; past the window the rooms see one leave.
 */
class SessionResumeTest {
    @RegisterExtension
    final RunningServer server = RunningServer.startedByEachTest(noRateLimit());

    /** A connected v2 client and its welcome. */
    private record Peer(TestClient client, JsonObject welcome) {
        String id() {
            return str(welcome, "clientId");
        }
    }

    private Peer connect(String query) {
        TestClient c = server.closeLater(TestClient.v2(server.ws("/ws" + query)));
        return new Peer(c, c.welcome());
    }

    private Peer fresh() {
        Peer p = connect("");
        p.client().nextOfType("presence");
        p.client().nextOfType("history");
        return p;
    }

    private Peer resume(String token) {
        return connect("?resume=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
    }

    private static JsonObject historyOf(TestClient c, String room) {
        return c.next(m -> "history".equals(str(m, "type")) && room.equals(str(m, "room")));
    }

    private static JsonObject chatIn(TestClient c, String room) {
        return c.next(m -> "chat".equals(str(m, "type")) && room.equals(str(m, "room")));
    }

    private static JsonObject join(TestClient c, String room) {
        c.sendJson("type", "join", "room", room);
        return historyOf(c, room);
    }

    private static void chat(TestClient sender, String room, String content) {
        sender.sendJson("type", "chat", "room", room, "content", content);
        assertThat(str(chatIn(sender, room), "message")).isEqualTo(content);
    }

    private static List<String> bodies(JsonObject history) {
        List<String> out = new ArrayList<>();
        for (JsonElement e : history.getAsJsonArray("messages")) {
            out.add(e.getAsJsonObject().get("message").getAsString());
        }
        return out;
    }

    private static long lastSeq(JsonObject history, long orElse) {
        JsonArray messages = history.getAsJsonArray("messages");
        return messages.isEmpty() ? orElse : messages.get(messages.size() - 1).getAsJsonObject().get("seq").getAsLong();
    }

    /** The resume message for rooms with their last seq and epoch. */
    private static String resumeMessage(Map<String, long[]> since, Map<String, String> epochs) {
        JsonArray rooms = new JsonArray();
        since.forEach((room, seq) -> {
            JsonObject r = new JsonObject();
            r.addProperty("room", room);
            r.addProperty("since", seq[0]);
            r.addProperty("epoch", epochs.get(room));
            rooms.add(r);
        });
        JsonObject m = new JsonObject();
        m.addProperty("type", "resume");
        m.add("rooms", rooms);
        return m.toString();
    }

    @Test
    void aDroppedSessionResumesWithItsIdNameAndRoomsAndItsRoomsSeeNoLeaveJoinOrRename() {
        server.startWith();
        Peer alice = fresh();
        assertThat(alice.welcome().get("resumed").getAsBoolean()).isFalse();
        alice.client().sendJson("type", "setUsername", "username", "alice");
        // A rename answers a fresh token first: a resume after it keeps the new name.
        String token = str(alice.client().nextOfType("token"), "resumeToken");
        alice.client().nextOfType("system");
        JsonObject dev = join(alice.client(), "dev");
        Peer bob = fresh();
        join(bob.client(), "dev");
        chat(bob.client(), "dev", "before");
        long seen = chatIn(alice.client(), "dev").get("seq").getAsLong();

        alice.client().abort();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.server().service().detachedCount() == 1);
        chat(bob.client(), "dev", "missed-1");
        chat(bob.client(), "dev", "missed-2");
        bob.client().sendJson("type", "who", "room", "dev");
        assertThat(bob.client().nextOfType("presence").get("total").getAsInt())
                .as("the dropped session is still a member").isEqualTo(2);

        Peer back = resume(token);
        assertThat(back.id()).isEqualTo(alice.id());
        assertThat(str(back.welcome(), "username")).isEqualTo("alice");
        assertThat(back.welcome().get("resumed").getAsBoolean()).isTrue();
        assertThat(str(back.welcome(), "resumeToken")).isNotBlank().isNotEqualTo(token);
        back.client().send(resumeMessage(Map.of("dev", new long[] {seen}), Map.of("dev", str(dev, "epoch"))));
        JsonObject presence = back.client().nextOfType("presence");
        assertThat(str(presence, "room")).isEqualTo("dev");
        JsonObject history = historyOf(back.client(), "dev");
        assertThat(history.get("recovered").getAsBoolean()).isTrue();
        assertThat(bodies(history)).containsExactly("missed-1", "missed-2");
        JsonObject lobby = historyOf(back.client(), "lobby");
        assertThat(lobby.has("recovered")).as("a kept room not named is caught up as a plain join").isFalse();

        chat(bob.client(), "dev", "live");
        assertThat(str(chatIn(back.client(), "dev"), "message")).isEqualTo("live");
        assertThat(bob.client().noticesAbout(alice.id())).isEmpty();
        assertThat(server.server().service().detachedCount()).isZero();
        back.client().sendJson("type", "who", "room", "dev");
        assertThat(back.client().nextOfType("presence").get("total").getAsInt()).isEqualTo(2);
    }

    @Test
    void oneResumeMessageCatchesUpThreeRoomsExactlyOnceInOrderWhileOthersKeepSending() throws Exception {
        server.startWith();
        Peer alice = fresh();
        String token = str(alice.welcome(), "resumeToken");
        Peer bob = fresh();
        List<String> rooms = List.of("r1", "r2", "r3");
        Map<String, String> epochs = new LinkedHashMap<>();
        Map<String, long[]> since = new LinkedHashMap<>();
        for (String room : rooms) {
            epochs.put(room, str(join(alice.client(), room), "epoch"));
            join(bob.client(), room);
            chat(bob.client(), room, room + "-seen");
            since.put(room, new long[] {chatIn(alice.client(), room).get("seq").getAsLong()});
        }
        alice.client().abort();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.server().service().detachedCount() == 1);
        for (int i = 0; i < 5; i++) {
            for (String room : rooms) {
                chat(bob.client(), room, room + "-missed-" + i);
            }
        }
        // Bob keeps sending while alice resumes: what she gets per room must still be every message once, in order.
        int live = 40;
        CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < live; i++) {
                for (String room : rooms) {
                    bob.client().sendJson("type", "chat", "room", room, "content", room + "-live-" + i);
                }
            }
        });
        Peer back = resume(token);
        assertThat(back.welcome().get("resumed").getAsBoolean()).isTrue();
        back.client().send(resumeMessage(since, epochs));
        sending.get();
        // Read in arrival order (the rooms interleave): per room its history first, then live ones in seq order.
        Map<String, List<String>> got = new LinkedHashMap<>();
        Map<String, Long> last = new LinkedHashMap<>();
        int total = rooms.size() * (5 + live);
        int count = 0;
        while (count < total) {
            JsonObject m = back.client().next();
            String room = str(m, "room");
            if (!rooms.contains(room)) {
                continue; // the lobby, kept and caught up too
            }
            if ("history".equals(str(m, "type"))) {
                assertThat(m.get("recovered").getAsBoolean()).as(room).isTrue();
                assertThat(got).as("one history for " + room).doesNotContainKey(room);
                List<String> bodies = bodies(m);
                got.put(room, new ArrayList<>(bodies));
                last.put(room, lastSeq(m, since.get(room)[0]));
                count += bodies.size();
            } else if ("chat".equals(str(m, "type"))) {
                assertThat(got).as("live messages of " + room + " come after its history").containsKey(room);
                assertThat(m.get("seq").getAsLong()).as("seq order in " + room).isEqualTo(last.get(room) + 1);
                last.put(room, m.get("seq").getAsLong());
                got.get(room).add(str(m, "message"));
                count++;
            }
        }
        for (String room : rooms) {
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                expected.add(room + "-missed-" + i);
            }
            for (int i = 0; i < live; i++) {
                expected.add(room + "-live-" + i);
            }
            assertThat(got.get(room)).as(room).containsExactlyElementsOf(expected);
        }
        bob.client().sendJson("type", "chat", "room", "r1", "content", "end"); // its echoes of the live ones are unread
        assertThat(str(chatIn(back.client(), "r1"), "message")).as("nothing twice before it").isEqualTo("end");
        assertThat(bob.client().noticesAbout(alice.id())).isEmpty();
    }

    private static String dm(TestClient from, String to, String content) {
        JsonObject m = new JsonObject();
        m.addProperty("type", "dm");
        m.addProperty("to", to);
        m.addProperty("content", content);
        from.send(m.toString());
        JsonObject answer = from.next(a -> "dm".equals(str(a, "type")) || "error".equals(str(a, "type")));
        assertThat(str(answer, "type")).as("the echo, not an error: " + answer).isEqualTo("dm");
        assertThat(str(answer, "message")).isEqualTo(content);
        return str(answer, "id");
    }

    @Test
    void directMessagesToAUserAwayAreKeptAndGivenOnceInOrderWhenTheyResume() {
        server.startWith();
        Peer alice = fresh();
        String token = str(alice.welcome(), "resumeToken");
        Peer bob = fresh();
        alice.client().abort();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.server().service().detachedCount() == 1);
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            ids.add(dm(bob.client(), alice.id(), "while away " + i)); // echoed: kept, not no_such_user
        }

        Peer back = resume(token);
        assertThat(back.id()).isEqualTo(alice.id());
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonObject d = back.client().nextOfType("dm");
            assertThat(str(d.getAsJsonObject("from"), "id")).isEqualTo(bob.id());
            assertThat(str(d, "to")).isEqualTo(alice.id());
            assertThat(str(d, "id")).isEqualTo(ids.get(i));
            got.add(str(d, "message"));
        }
        assertThat(got).containsExactly("while away 1", "while away 2", "while away 3");
        String later = str(back.client().nextOfType("token"), "resumeToken"); // says they were given

        dm(bob.client(), alice.id(), "live");
        assertThat(str(back.client().nextOfType("dm"), "message")).as("attached: given live").isEqualTo("live");
        back.client().abort();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.server().service().detachedCount() == 1);
        dm(bob.client(), alice.id(), "away again");
        Peer again = resume(later);
        // Had the first three been given again they would come first: the inbox gives in the order stored.
        assertThat(str(again.client().nextOfType("dm"), "message")).isEqualTo("away again");
        assertThat(server.metric("wschat_dm_kept_total")).isEqualTo(4.0);
    }

    @Test
    void aDirectMessageToAUserWhoseWindowPassedIsNoSuchUser() {
        server.startWith("--resume-window", "1");
        Peer alice = fresh();
        Peer bob = fresh();
        alice.client().abort();
        bob.client().next(m -> "leave".equals(str(m, "event")));
        bob.client().sendJson("type", "dm", "to", alice.id(), "content", "too late");
        assertThat(str(bob.client().nextOfType("error"), "code")).isEqualTo("no_such_user");
    }

    @Test
    void pastTheWindowTheRoomsSeeExactlyOneLeave() {
        server.startWith("--resume-window", "1");
        Peer alice = fresh();
        join(alice.client(), "dev");
        Peer bob = fresh();
        join(bob.client(), "dev");
        alice.client().abort();
        JsonObject left = bob.client().next(m -> "leave".equals(str(m, "event")) && "dev".equals(str(m, "room")));
        assertThat(str(left.getAsJsonObject("user"), "id")).isEqualTo(alice.id());
        assertThat(server.server().service().detachedCount()).isZero();
        chat(bob.client(), "dev", "marker");
        assertThat(bob.client().noticesAbout(alice.id())).containsExactlyInAnyOrder("leave:dev", "leave:lobby");
    }

    @Test
    void aNormalCloseEndsTheSessionAtOnce() {
        server.startWith();
        Peer alice = fresh();
        Peer bob = fresh();
        alice.client().close();
        JsonObject left = bob.client().next(m -> "leave".equals(str(m, "event")));
        assertThat(str(left.getAsJsonObject("user"), "id")).isEqualTo(alice.id());
        assertThat(server.server().service().detachedCount()).isZero();
    }

    @Test
    void pastTheBoundOnDetachedSessionsADroppedSessionEndsAtOnce() {
        server.startWith("--max-detached-sessions", "1");
        Peer alice = fresh();
        Peer carol = fresh();
        Peer bob = fresh();
        alice.client().abort();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.server().service().detachedCount() == 1);
        carol.client().abort();
        JsonObject left = bob.client().next(m -> "leave".equals(str(m, "event")));
        assertThat(str(left.getAsJsonObject("user"), "id")).isEqualTo(carol.id());
        assertThat(server.server().service().detachedCount()).isEqualTo(1);
        assertThat(server.metric("wschat_sessions_detached")).isEqualTo(1.0);
        assertThat(bob.client().noticesAbout(alice.id())).isEmpty();
    }

    @Test
    void aBadOrForgedTokenIsANewSession() {
        server.startWith();
        Peer alice = fresh();
        String token = str(alice.welcome(), "resumeToken");
        String forged = token.substring(0, token.length() - 3) + (token.endsWith("AAA") ? "BBB" : "AAA");
        for (String bad : List.of("garbage", forged, "a.b", "")) {
            Peer other = connect(bad.isEmpty() ? "?resume=" : "?resume=" + URLEncoder.encode(bad, StandardCharsets.UTF_8));
            assertThat(other.welcome().get("resumed").getAsBoolean()).isFalse();
            assertThat(other.id()).isNotEqualTo(alice.id());
            assertThat(str(other.client().nextOfType("presence"), "room")).isEqualTo("lobby");
        }
    }

    @Test
    void resumeOffSendsNoTokenAndTheDialectOneWelcomeHasNone() {
        server.startWith("--resume-window", "0");
        Peer alice = fresh();
        assertThat(alice.welcome().has("resumeToken")).isFalse();
        assertThat(alice.welcome().has("resumed")).isFalse();
        TestClient tutorial = server.tutorial();
        assertThat(tutorial.next().has("resumeToken")).isFalse();
    }

    @Test
    void resumingWhileTheOldConnectionIsStillOpenTakesItsSessionOver() {
        server.startWith();
        Peer alice = fresh();
        join(alice.client(), "dev");
        Peer bob = fresh();
        join(bob.client(), "dev");
        Peer back = resume(str(alice.welcome(), "resumeToken"));
        assertThat(alice.client().awaitCloseCode()).isEqualTo(CloseCodes.SESSION_RESUMED);
        assertThat(back.id()).isEqualTo(alice.id());
        assertThat(back.welcome().get("resumed").getAsBoolean()).isTrue();
        back.client().send("{\"type\":\"resume\",\"rooms\":[{\"room\":\"dev\"},{\"room\":\"lobby\"}]}");
        historyOf(back.client(), "dev");
        historyOf(back.client(), "lobby");
        chat(bob.client(), "dev", "hi");
        assertThat(str(chatIn(back.client(), "dev"), "message")).isEqualTo("hi");
        assertThat(bob.client().noticesAbout(alice.id())).isEmpty();
    }

    /** Regression: a session taken over while no more could be kept stayed in the registry and the gauge for good. */
    @Test
    void aTakeoverPastTheBoundOnKeptSessionsLeavesNoStaleSessionBehind() {
        server.startWith("--max-detached-sessions", "0");
        Peer alice = fresh();
        Peer bob = fresh();
        Peer back = resume(str(alice.welcome(), "resumeToken"));
        assertThat(alice.client().awaitCloseCode()).isEqualTo(CloseCodes.SESSION_RESUMED);
        assertThat(back.id()).isEqualTo(alice.id());
        await().atMost(Duration.ofSeconds(5)).until(() -> server.server().service().sessionCount() == 2);
        assertThat(server.metric("wschat_connections")).as("bob and alice's new connection").isEqualTo(2.0);
        bob.client().close();
        back.client().close();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.server().service().sessionCount() == 0);
    }

    @Test
    void withAuthenticationATokenOfAnotherSubIsIgnored() throws Exception {
        server.startWith("--jwt-secret", TestTokens.SECRET);
        String aliceJwt = TestTokens.hs256("alice", "Alice", Duration.ofMinutes(5));
        String malloryJwt = TestTokens.hs256("mallory", "Mallory", Duration.ofMinutes(5));
        Peer alice = connect("?token=" + aliceJwt);
        String token = str(alice.welcome(), "resumeToken");
        alice.client().abort();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.server().service().detachedCount() == 1);
        Peer mallory = connect("?token=" + malloryJwt + "&resume=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
        assertThat(mallory.id()).isEqualTo("mallory");
        assertThat(mallory.welcome().get("resumed").getAsBoolean()).isFalse();
        Peer back = connect("?token=" + aliceJwt + "&resume=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
        assertThat(back.id()).isEqualTo("alice");
        assertThat(back.welcome().get("resumed").getAsBoolean()).isTrue();
        assertThat(server.server().service().detachedCount()).isZero();
    }

    @Test
    void aConnectedSessionGetsAFreshTokenBeforeItsOneIsHalfAWindowOld() {
        server.startWith("--resume-window", "2");
        Peer alice = fresh();
        String first = str(alice.welcome(), "resumeToken");
        String refreshed = str(alice.client().nextOfType("token"), "resumeToken");
        assertThat(refreshed).isNotEqualTo(first);
        alice.client().abort();
        Peer back = resume(refreshed);
        assertThat(back.welcome().get("resumed").getAsBoolean()).isTrue();
        assertThat(back.id()).isEqualTo(alice.id());
    }
}
