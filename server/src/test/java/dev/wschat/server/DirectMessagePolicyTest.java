package dev.wschat.server;

import com.google.gson.JsonObject;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code --dm-policy}: who may send a direct message to whom, and what a refused sender is told. */
class DirectMessagePolicyTest {
    @RegisterExtension
    final RunningServer server = RunningServer.startedByEachTest(RunningServer.noRateLimit("--history-on-join", "0"));

    /** A v2 client past its welcome and the lobby's presence, and its client id. */
    private record Peer(TestClient client, String id) {
    }

    private Peer peer() {
        TestClient c = server.closeLater(TestClient.v2(server.ws("/ws")));
        String id = str(c.welcome(), "clientId");
        c.nextOfType("presence");
        return new Peer(c, id);
    }

    private static JsonObject dm(TestClient from, String to, String content) {
        from.sendJson("type", "dm", "to", to, "content", content, "ref", content);
        return from.next(m -> "dm".equals(str(m, "type")) || "error".equals(str(m, "type")));
    }

    private static void join(TestClient c, String room) {
        c.sendJson("type", "join", "room", room);
        c.next(m -> "presence".equals(str(m, "type")) && room.equals(str(m, "room")));
    }

    private static void leave(TestClient c, String room) {
        c.sendJson("type", "leave", "room", room);
        c.next(m -> "leave".equals(str(m, "event")) && room.equals(str(m, "room")));
    }

    @Test
    void sharedRoomLetsADirectMessageThroughOnlyToSomeoneInOneOfTheSendersRooms() {
        server.startWith("--dm-policy", "shared-room");
        TestClient alice = peer().client();
        Peer b = peer();
        TestClient bob = b.client();
        String bobId = b.id();

        assertThat(str(dm(alice, bobId, "both in lobby"), "type")).isEqualTo("dm");
        assertThat(str(bob.nextOfType("dm"), "message")).isEqualTo("both in lobby");

        leave(bob, "lobby");
        JsonObject refused = dm(alice, bobId, "no room shared");
        assertThat(str(refused, "code")).isEqualTo("forbidden");
        assertThat(str(refused, "ref")).isEqualTo("no room shared");
        assertThat(dm(alice, "nobody-here", "unknown")).satisfies(e -> assertThat(str(e, "code"))
                .as("a user connected nowhere shares no room: forbidden, not no_such_user").isEqualTo("forbidden"));

        join(alice, "dev");
        join(bob, "dev");
        assertThat(str(dm(alice, bobId, "both in dev"), "type")).isEqualTo("dm");
        assertThat(str(bob.nextOfType("dm"), "message")).as("the refused ones never reached bob")
                .isEqualTo("both in dev");
        assertThat(server.metric("wschat_rejections_total{reason=\"forbidden\"}")).isEqualTo(2.0);
    }

    @Test
    void noneRefusesEveryDirectMessage() {
        server.startWith("--dm-policy", "none");
        TestClient alice = peer().client();
        Peer b = peer();
        TestClient bob = b.client();
        JsonObject refused = dm(alice, b.id(), "hi");
        assertThat(str(refused, "code")).isEqualTo("forbidden");
        assertThat(str(refused, "message")).contains("off");
        alice.sendJson("type", "chat", "room", "lobby", "content", "marker");
        assertThat(str(bob.next(m -> "dm".equals(str(m, "type")) || "chat".equals(str(m, "type"))), "message"))
                .isEqualTo("marker");
    }

    @Test
    void byDefaultAnyoneMayWriteToAnyoneConnected() {
        server.startWith();
        TestClient alice = peer().client();
        Peer b = peer();
        leave(b.client(), "lobby");
        assertThat(str(dm(alice, b.id(), "no room shared, still fine"), "type")).isEqualTo("dm");
        assertThat(str(dm(alice, "nobody-here", "unknown"), "code")).isEqualTo("no_such_user");
    }
}
