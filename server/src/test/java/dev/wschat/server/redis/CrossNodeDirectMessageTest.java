package dev.wschat.server.redis;

import com.google.gson.JsonObject;
import dev.wschat.protocol.ClientMessage;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.testing.RedisServer;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import io.lettuce.core.KillArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Direct messages between two real nodes on one real Redis: a user on one node reaches a user connected to the other
 * (once, with the sender's echo), {@code no_such_user} when the recipient is connected nowhere or has left, and
 * {@code unavailable} while Redis is down. Regression test for a DM to a user on another node answered
 * {@code no_such_user}.
 */
class CrossNodeDirectMessageTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String SECRET = "a-session-secret-shared-by-both-nodes-0123";
    /** Stops after both nodes (extensions stop in reverse order). */
    @RegisterExtension
    @Order(1)
    final RedisServer redis = RedisServer.beforeEachTest();
    @RegisterExtension
    @Order(2)
    final RunningServer one = RunningServer.startedByEachTest("--session-secret", SECRET);
    @RegisterExtension
    @Order(3)
    final RunningServer two = RunningServer.startedByEachTest("--session-secret", SECRET);
    private RedisClient admin;
    private StatefulRedisConnection<String, String> adminConnection;

    @BeforeEach
    void start() {
        one.startWith(RunningServer.noRateLimit("--redis", redis.url()));
        two.startWith(RunningServer.noRateLimit("--redis", redis.url()));
        admin = RedisClient.create(redis.url());
        adminConnection = admin.connect();
        await().atMost(WAIT).until(() -> one.get("/ready").statusCode() == 200 && two.get("/ready").statusCode() == 200);
    }

    @AfterEach
    void stop() {
        adminConnection.close();
        admin.shutdown();
    }

    @Test
    void aDirectMessageToAUserOnTheOtherNodeArrivesOnceAndTheSenderGetsItsEcho() throws Exception {
        TestClient alice = one.v2();
        TestClient bob = two.v2();
        awaitSubscribers(id(bob), 1);

        dm(alice, id(bob), "psst", "d1");
        ServerMessage.Direct received = bob.nextOf(ServerMessage.Direct.class);
        ServerMessage echo = alice.nextOf(ServerMessage.class,
                m -> m instanceof ServerMessage.Direct || m instanceof ServerMessage.Error);

        assertThat(echo).isInstanceOf(ServerMessage.Direct.class);
        assertThat(received.message()).isEqualTo("psst");
        assertThat(received.to()).isEqualTo(id(bob));
        assertThat(received.from().id()).isEqualTo(id(alice));
        assertThat(received).as("the echo is the message the recipient got").isEqualTo(echo);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> dms(bob).size() == 1
                && dms(alice).size() == 1);
        assertThat(one.metric("wschat_redis_dm_relayed_total")).isEqualTo(1);
        assertThat(two.metric("wschat_redis_dm_delivered_total")).isEqualTo(1);
    }

    @Test
    void aDirectMessageToAnIdNobodyHasIsNoSuchUser() {
        TestClient alice = one.v2();
        two.v2();

        dm(alice, "nobody-has-this-id", "hello?", "d1");

        JsonObject error = alice.nextOfType("error");
        assertThat(str(error, "code")).isEqualTo("no_such_user");
        assertThat(str(error, "message")).isEqualTo("No connected user has the id 'nobody-has-this-id'");
        assertThat(str(error, "ref")).isEqualTo("d1");
    }

    @Test
    void aDirectMessageToAUserWhoClosedOnTheOtherNodeIsNoSuchUser() {
        TestClient alice = one.v2();
        TestClient bob = two.v2();
        String bobId = id(bob);
        awaitSubscribers(bobId, 1);

        bob.close(); // Close 1000: the session ends at once
        awaitSubscribers(bobId, 0);
        dm(alice, bobId, "still there?", "d2");

        JsonObject error = alice.nextOfType("error");
        assertThat(str(error, "code")).isEqualTo("no_such_user");
        assertThat(str(error, "ref")).isEqualTo("d2");
        assertThat(dms(alice)).isEmpty();
    }

    @Test
    void aDirectMessageToAUserWhoseConnectionDroppedOnAnotherNodeIsKeptWhileTheSessionIsKeptForAResume() {
        TestClient alice = one.v2();
        TestClient bob = two.v2();
        String bobId = id(bob);
        awaitSubscribers(bobId, 1);

        bob.abort(); // no Close frame: node two keeps the session for the resume window, detached
        await().atMost(WAIT).until(() -> two.server().service().detachedCount() == 1);
        awaitSubscribers(bobId, 0);
        dm(alice, bobId, "are you back?", "d3");

        // Node two keeps bob's session and says so in Redis: the dm is stored for his resume, and echoed once stored.
        JsonObject answer = alice.next(m -> "dm".equals(str(m, "type")) || "error".equals(str(m, "type")));
        assertThat(str(answer, "type")).as("kept, not no_such_user: " + answer).isEqualTo("dm");
        assertThat(str(answer, "message")).isEqualTo("are you back?");
    }

    @Test
    void whileRedisIsDownADirectMessageToAnotherNodeIsUnavailableAndOneToThisNodeStillArrives() throws Exception {
        TestClient alice = one.v2();
        TestClient carol = one.v2();
        TestClient bob = two.v2();
        awaitSubscribers(id(bob), 1);

        redis.kill();
        await().atMost(WAIT).until(() -> one.get("/ready").statusCode() == 503);
        dm(alice, id(bob), "anyone?", "d4");
        JsonObject error = alice.nextOfType("error");
        assertThat(str(error, "code")).isEqualTo("unavailable");
        assertThat(str(error, "ref")).isEqualTo("d4");

        dm(alice, id(carol), "same node", "d5");
        assertThat(str(carol.nextOfType("dm"), "message")).isEqualTo("same node");
        assertThat(str(alice.nextOfType("dm"), "message")).isEqualTo("same node");
        assertThat(dms(bob)).isEmpty();
    }

    @Test
    void aBurstOfDirectMessagesArrivesInOrderExactlyOnce() {
        TestClient alice = one.v2();
        TestClient bob = two.v2();
        awaitSubscribers(id(bob), 1);
        int n = 300;

        for (int i = 0; i < n; i++) {
            dm(alice, id(bob), "m" + i, "r" + i);
        }

        List<String> expected = IntStream.range(0, n).mapToObj(i -> "m" + i).toList();
        await().atMost(WAIT).until(() -> dms(bob).size() >= n && dms(alice).size() >= n);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3)).until(() -> dms(bob).size() == n);
        assertThat(messages(dms(bob))).containsExactlyElementsOf(expected);
        assertThat(messages(dms(alice))).as("echoes").containsExactlyElementsOf(expected);
        assertThat(ids(dms(bob))).doesNotHaveDuplicates().containsExactlyElementsOf(ids(dms(alice)));
        assertThat(errors(alice)).isEmpty();
    }

    @Test
    void pubSubConnectionsKilledDuringABurstNeverDeliverTwiceOrOutOfOrderAndResubscribe() throws Exception {
        TestClient alice = one.v2();
        TestClient bob = two.v2();
        awaitSubscribers(id(bob), 1);
        int n = 300;

        for (int i = 0; i < n; i++) {
            dm(alice, id(bob), "m" + i, "r" + i);
            if (i == n / 2) {
                assertThat(adminConnection.sync().clientKill(KillArgs.Builder.typePubsub())).isPositive();
            }
        }
        await().atMost(WAIT).until(() -> dms(alice).size() + errors(alice).size() >= n);

        List<String> got = messages(dms(bob));
        assertThat(got).as("delivered once each, in the order sent").doesNotHaveDuplicates()
                .isSortedAccordingTo((x, y) -> Integer.compare(Integer.parseInt(x.substring(1)),
                        Integer.parseInt(y.substring(1))));
        assertThat(messages(dms(alice))).as("every delivered message was echoed").containsAll(got);
        for (JsonObject e : errors(alice)) {
            assertThat(str(e, "code")).isIn("no_such_user", "unavailable");
            assertThat(got).as("refused, so not delivered").doesNotContain("m" + str(e, "ref").substring(1));
        }

        // The channel is subscribed again once node two's pub/sub connection is back.
        awaitSubscribers(id(bob), 1);
        dm(alice, id(bob), "after", "after");
        await().atMost(WAIT).until(() -> messages(dms(bob)).contains("after"));
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3))
                .until(() -> messages(dms(bob)).stream().filter("after"::equals).count() == 1);
    }

    @Test
    void aSessionResumedOnTheOtherNodeIsClosed4009ThereAndItsDirectMessagesReachTheNewConnectionOnce() {
        TestClient alice = two.v2();
        TestClient old = two.v2();
        String bobId = id(old);
        String token = Chats.welcome(old).resumeToken();

        // The balancer sent the reconnect to node one before node two saw the old connection drop (or a tab was
        // duplicated): both connections are open for a moment.
        TestClient bob = one.connect(TestClient.to(one.ws("/ws?resume=" + URLEncoder.encode(token,
                StandardCharsets.UTF_8))).subprotocol(TestClient.V2));
        JsonObject welcome = bob.welcome();
        assertThat(str(welcome, "clientId")).isEqualTo(bobId);
        assertThat(welcome.get("resumed").getAsBoolean()).isTrue();

        assertThat(old.awaitCloseCode()).isEqualTo(4009);
        assertThat(old.closeReason()).isEqualTo("Session resumed elsewhere");
        await().atMost(WAIT).until(() -> two.server().service().sessionCount() == 1);
        assertThat(two.server().service().detachedCount()).isZero();
        awaitSubscribers(bobId, 1);

        dm(alice, bobId, "found you", "d6");
        assertThat(str(bob.nextOfType("dm"), "message")).isEqualTo("found you");
        assertThat(str(alice.nextOfType("dm"), "message")).isEqualTo("found you");
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> dms(bob).size() == 1);
        assertThat(dms(old)).isEmpty();
    }

    private void awaitSubscribers(String userId, long count) {
        String channel = RedisKeys.userChannel(userId);
        await().atMost(WAIT).alias("subscribers of " + channel).until(() ->
                adminConnection.sync().pubsubNumsub(channel).getOrDefault(channel, 0L) == count);
    }

    private static void dm(TestClient from, String to, String content, String ref) {
        from.send(new ClientMessage.DirectMessage(to, content, ref));
    }

    private static String id(TestClient c) {
        return Chats.clientId(c);
    }

    private static List<JsonObject> ofType(TestClient c, String type) {
        return Chats.received(c, type);
    }

    private static List<JsonObject> dms(TestClient c) {
        return ofType(c, "dm");
    }

    private static List<JsonObject> errors(TestClient c) {
        return ofType(c, "error");
    }

    private static List<String> messages(List<JsonObject> dms) {
        return dms.stream().map(m -> str(m, "message")).toList();
    }

    private static List<String> ids(List<JsonObject> dms) {
        return dms.stream().map(m -> str(m, "id")).toList();
    }
}
