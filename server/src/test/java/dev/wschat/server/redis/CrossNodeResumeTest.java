package dev.wschat.server.redis;

import com.google.gson.JsonObject;
import dev.wschat.protocol.ClientMessage;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.testing.Cluster;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.wschat.server.redis.Chats.LONG;
import static dev.wschat.server.redis.Chats.clientId;
import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two real nodes on one Redis behind nginx: a session whose connection dropped on one node and that is resumed on the
 * other ends on the first without a notice, and re-joins its rooms on the other without one. Regression test for the
 * old node keeping the detached session in presence (the user listed twice) until its resume window ran out, then
 * announcing "left" for a user who was back; and for the stray join: the new node announced "joined" for each room
 * the session re-joined, though nobody had been told it left.
 */
class CrossNodeResumeTest {
    private static final int WINDOW_SECONDS = 3;
    private static final List<String> ROOMS = List.of("lobby", "dev", "ops");
    @AutoClose
    private final Cluster cluster = Cluster.start(2, "--resume-window", Integer.toString(WINDOW_SECONDS),
            "--drain-timeout", "2000");
    private final RunningServer a = cluster.node(0);
    private final RunningServer b = cluster.node(1);
    private final AtomicInteger refs = new AtomicInteger();

    @Test
    void aDetachedSessionResumedOnTheOtherNodeEndsOnTheFirstWithoutALeaveAndIsListedOnce() {
        TestClient alice = cluster.v2On(a);
        String aliceId = clientId(alice);
        String token = Chats.welcome(alice).resumeToken();
        TestClient watcher = cluster.v2On(b);
        TestClient neighbour = cluster.v2On(a);
        for (TestClient c : List.of(alice, watcher, neighbour)) {
            Chats.join(c, "dev");
            Chats.join(c, "ops");
        }
        for (String room : ROOMS) {
            await().atMost(LONG).until(() -> count(who(watcher, room), aliceId) == 1
                    && count(who(neighbour, room), aliceId) == 1);
        }

        alice.abort(); // no Close frame: node a keeps the session, detached, rooms and presence untouched
        await().atMost(LONG).until(() -> a.server().service().detachedCount() == 1);
        TestClient back = b.connect(TestClient.to(b.ws("/ws?resume=" + URLEncoder.encode(token,
                StandardCharsets.UTF_8))).subprotocol(TestClient.V2));
        JsonObject welcome = back.welcome();
        assertThat(str(welcome, "clientId")).isEqualTo(aliceId);
        assertThat(welcome.get("resumed").getAsBoolean()).isTrue();
        back.send("{\"type\":\"resume\",\"rooms\":[{\"room\":\"lobby\"},{\"room\":\"dev\"},{\"room\":\"ops\"}]}");
        for (String room : ROOMS) {
            back.next(m -> "history".equals(str(m, "type")) && room.equals(str(m, "room")));
        }

        await().atMost(LONG).until(() -> a.server().service().detachedCount() == 0);
        for (String room : ROOMS) {
            await().atMost(LONG).alias("alice listed once in " + room + " on both nodes")
                    .until(() -> count(who(watcher, room), aliceId) == 1 && count(who(neighbour, room), aliceId) == 1
                            && count(who(back, room), aliceId) == 1);
        }

        neighbour.send(new ClientMessage.DirectMessage(aliceId, "from a", "d1"));
        watcher.send(new ClientMessage.DirectMessage(aliceId, "from b", "d2"));
        await().atMost(LONG).until(() -> dms(back).size() == 2);
        assertThat(dms(back)).containsExactlyInAnyOrder("from a", "from b");

        // Past the window (and the presence TTL): the old node's expiry announces nothing, and nobody sweeps alice.
        // Nor was her re-joining on node b announced: she was listed in every room until then, and never left.
        await().alias("no leave or join notice for alice").during(Duration.ofSeconds(WINDOW_SECONDS + 7))
                .atMost(Duration.ofSeconds(WINDOW_SECONDS + 15))
                .until(() -> leaves(watcher, aliceId) == 0 && leaves(neighbour, aliceId) == 0
                        && joins(watcher, aliceId) == 0 && joins(neighbour, aliceId) == 0);
        for (String room : ROOMS) {
            assertThat(who(watcher, room)).as("node b's %s", room).containsOnlyOnce(aliceId);
            assertThat(who(neighbour, room)).as("node a's %s", room).containsOnlyOnce(aliceId);
        }
        assertThat(dms(back)).hasSize(2);
        assertThat(a.metric("wschat_sessions_detached")).isZero();
        assertThat(a.metric("wschat_sessions_resumed_elsewhere_total")).isEqualTo(1);
        assertThat(Chats.received(neighbour, "error")).isEmpty();
        assertThat(Chats.received(watcher, "error")).isEmpty();
    }

    @Test
    void directMessagesFromEitherNodeToAUserAwayAreKeptAndGivenWhenTheyResumeOnTheOther() {
        TestClient alice = cluster.v2On(a);
        String aliceId = clientId(alice);
        String token = Chats.welcome(alice).resumeToken();
        TestClient neighbour = cluster.v2On(a);
        TestClient watcher = cluster.v2On(b);
        alice.abort();
        await().atMost(LONG).until(() -> a.server().service().detachedCount() == 1);
        neighbour.send(new ClientMessage.DirectMessage(aliceId, "from her node", "k1"));
        await().atMost(LONG).until(() -> dms(neighbour).contains("from her node")); // the echo: it is stored
        // From the other node: no node has her attached, node a keeps her session; Redis says so, and it is kept.
        watcher.send(new ClientMessage.DirectMessage(aliceId, "from the other node", "k2"));
        await().atMost(LONG).until(() -> dms(watcher).contains("from the other node")
                || !Chats.received(watcher, "error").isEmpty());
        assertThat(Chats.received(watcher, "error")).as("not no_such_user").isEmpty();
        assertThat(Chats.received(neighbour, "error")).isEmpty();

        TestClient back = b.connect(TestClient.to(b.ws("/ws?resume=" + URLEncoder.encode(token,
                StandardCharsets.UTF_8))).subprotocol(TestClient.V2));
        assertThat(str(back.welcome(), "clientId")).isEqualTo(aliceId);
        await().atMost(LONG).until(() -> dms(back).size() >= 2);
        assertThat(dms(back)).containsExactly("from her node", "from the other node");

        // Back: a dm to her is live again, and once she is gone for good it is no_such_user on either node.
        back.close();
        await().atMost(LONG).until(() -> b.server().service().sessionCount() == 1);
        neighbour.send(new ClientMessage.DirectMessage(aliceId, "gone", "k3"));
        await().atMost(LONG).until(() -> Chats.received(neighbour, "error").size() == 1);
        assertThat(str(Chats.received(neighbour, "error").get(0), "code")).isEqualTo("no_such_user");
    }

    @Test
    void aSessionResumedOnTheOtherNodeAfterItsNodeStoppedIsNotAnnouncedAsLeftWhenItsOldEntriesExpire() {
        TestClient alice = cluster.v2On(a);
        String aliceId = clientId(alice);
        String token = Chats.welcome(alice).resumeToken();
        TestClient bystander = cluster.v2On(a);
        String bystanderId = clientId(bystander);
        TestClient watcher = cluster.v2On(b);
        for (TestClient c : List.of(alice, bystander, watcher)) {
            Chats.join(c, "dev");
        }
        await().atMost(LONG).until(() -> count(who(watcher, "dev"), aliceId) == 1
                && count(who(watcher, "dev"), bystanderId) == 1);

        // A drain: node a closes its clients with 1001 and stops, so nobody is left there to hear the resume; its
        // members' presence entries stay in Redis until they expire, and node b's sweep removes them.
        a.close();
        assertThat(alice.awaitCloseCode()).isEqualTo(1001);
        TestClient back = b.connect(TestClient.to(b.ws("/ws?resume=" + URLEncoder.encode(token,
                StandardCharsets.UTF_8))).subprotocol(TestClient.V2));
        assertThat(back.welcome().get("resumed").getAsBoolean()).isTrue();
        back.send("{\"type\":\"resume\",\"rooms\":[{\"room\":\"lobby\"},{\"room\":\"dev\"}]}");
        back.next(m -> "history".equals(str(m, "type")) && "dev".equals(str(m, "room")));

        // The bystander did not come back: its expired entries are announced, once per room; alice's are not.
        await().atMost(LONG).until(() -> leaves(watcher, bystanderId) == 2);
        await().alias("no leave or join notice for alice").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                .until(() -> leaves(watcher, aliceId) == 0 && joins(watcher, aliceId) == 0);
        assertThat(who(watcher, "dev")).containsOnlyOnce(aliceId).doesNotContain(bystanderId);
        assertThat(who(back, "lobby")).containsOnlyOnce(aliceId).doesNotContain(bystanderId);
    }

    @Test
    void aSessionWhoseLeaveWasAnnouncedIsAnnouncedAsJoinedWhenItResumesOnTheOtherNode() {
        TestClient alice = cluster.v2On(a);
        String aliceId = clientId(alice);
        TestClient watcher = cluster.v2On(b);
        TestClient neighbour = cluster.v2On(a);
        for (TestClient c : List.of(alice, watcher, neighbour)) {
            Chats.join(c, "dev");
        }
        await().atMost(LONG).until(() -> count(who(watcher, "dev"), aliceId) == 1);

        String token = latestToken(alice);
        alice.close(); // 1000: she left, and both nodes' members are told so at once
        await().atMost(LONG).until(() -> leaves(watcher, aliceId) == 2 && leaves(neighbour, aliceId) == 2);
        await().atMost(LONG).until(() -> count(who(watcher, "dev"), aliceId) == 0);
        TestClient back = b.connect(TestClient.to(b.ws("/ws?resume=" + URLEncoder.encode(token,
                StandardCharsets.UTF_8))).subprotocol(TestClient.V2));
        assertThat(back.welcome().get("resumed").getAsBoolean()).isTrue();
        back.send("{\"type\":\"resume\",\"rooms\":[{\"room\":\"lobby\"},{\"room\":\"dev\"}]}");
        back.next(m -> "history".equals(str(m, "type")) && "dev".equals(str(m, "room")));

        // Not listed anywhere since her leave was announced: her return is a join, once per room, on both nodes.
        await().atMost(LONG).until(() -> joins(watcher, aliceId) == 2 && joins(neighbour, aliceId) == 2);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .until(() -> joins(watcher, aliceId) == 2 && joins(neighbour, aliceId) == 2);
    }

    /** The newest resume token the client was given: its welcome's, or the last refresh's. */
    private static String latestToken(TestClient c) {
        String token = Chats.welcome(c).resumeToken();
        for (ServerMessage.Token refresh : c.receivedOf(ServerMessage.Token.class)) {
            token = refresh.resumeToken();
        }
        return token;
    }

    private List<String> who(TestClient c, String room) {
        String ref = "w" + refs.incrementAndGet();
        c.send(new ClientMessage.Who(room, ref));
        return c.nextOf(ServerMessage.Presence.class, p -> ref.equals(p.ref())).users().stream()
                .map(ServerMessage.User::id).toList();
    }

    private static long count(List<String> ids, String id) {
        return ids.stream().filter(id::equals).count();
    }

    private static long leaves(TestClient c, String id) {
        return notices(c, "leave", id);
    }

    private static long joins(TestClient c, String id) {
        return notices(c, "join", id);
    }

    /** How many notices of {@code event} about user {@code id} the client received, in every room. */
    private static long notices(TestClient c, String event, String id) {
        return c.receivedOf(ServerMessage.Notice.class).stream()
                .filter(n -> event.equals(n.kind().wireName()) && id.equals(n.user().id())).count();
    }

    private static List<String> dms(TestClient c) {
        return Chats.received(c, "dm").stream().map(m -> str(m, "message")).toList();
    }
}
