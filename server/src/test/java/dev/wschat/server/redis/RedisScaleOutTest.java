package dev.wschat.server.redis;

import com.google.gson.JsonObject;
import dev.wschat.protocol.ClientMessage;
import dev.wschat.server.testing.Cluster;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import io.lettuce.core.KillArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.wschat.server.redis.Chats.LONG;
import static dev.wschat.server.redis.Chats.acked;
import static dev.wschat.server.redis.Chats.ackedSeqs;
import static dev.wschat.server.redis.Chats.chat;
import static dev.wschat.server.redis.Chats.clientId;
import static dev.wschat.server.redis.Chats.join;
import static dev.wschat.server.redis.Chats.range;
import static dev.wschat.server.redis.Chats.seqs;
import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes on one real Redis behind nginx, clients connected through nginx to each: one order for every member on
 * every node, pub/sub messages dropped on purpose repaired from the stream without any client reconnecting, no
 * traffic for a node without members of a room, and a resume on the other node.
 */
class RedisScaleOutTest {
    private static final String ROOM = "dev";
    @AutoClose
    private final Cluster cluster = Cluster.start(2);
    private final RunningServer a = cluster.node(0);
    private final RunningServer b = cluster.node(1);

    @Test
    void clientsOnTwoNodesSeeOneOrderExactlyOnceAndGetTheirAcks() {
        List<TestClient> clients = List.of(cluster.v2On(a), cluster.v2On(a), cluster.v2On(b), cluster.v2On(b));
        clients.forEach(c -> join(c, ROOM));
        int perClient = 50;
        for (int i = 0; i < perClient; i++) {
            for (int k = 0; k < clients.size(); k++) {
                chat(clients.get(k), ROOM, "c" + k + "-" + i);
            }
        }
        int total = perClient * clients.size();
        for (TestClient c : clients) {
            await().atMost(LONG).until(() -> seqs(c, ROOM).size() >= total);
            assertThat(seqs(c, ROOM)).containsExactlyElementsOf(range(1, total));
        }
        for (int k = 0; k < clients.size(); k++) {
            TestClient c = clients.get(k);
            int sender = k;
            await().atMost(LONG).until(() -> acked(c).size() == perClient);
            assertThat(acked(c)).allMatch(id -> id.startsWith("c" + sender + "-"));
        }
        List<String> order = Chats.bodies(clients.get(0), ROOM);
        assertThat(order).doesNotHaveDuplicates().hasSize(total);
        for (TestClient c : clients) {
            assertThat(Chats.bodies(c, ROOM)).as("the same order on both nodes").isEqualTo(order);
            ackedSeqs(c).forEach((id, seq) -> assertThat(order.get((int) (seq - 1)))
                    .as("seq %d, acknowledged for %s", seq, id).isEqualTo(id));
        }
    }

    @Test
    void pubSubConnectionsKilledDuringTrafficAreRepairedFromTheStreamWithoutAnyClientReconnecting() {
        TestClient sender = cluster.v2On(a);
        TestClient onA = cluster.v2On(a);
        TestClient onB = cluster.v2On(b);
        List<TestClient> clients = List.of(sender, onA, onB);
        clients.forEach(c -> join(c, ROOM));
        double opened = cluster.sum("wschat_connections_opened_total");
        RedisClient admin = RedisClient.create(cluster.redis().url());
        int sent = 0;
        try (StatefulRedisConnection<String, String> c = admin.connect()) {
            for (int round = 0; round < 10 && repaired() == 0; round++) {
                for (int i = 0; i < 200; i++) {
                    chat(sender, ROOM, "m" + sent++);
                    if (i == 50) {
                        // both nodes' pub/sub connections are back from the last round's kill before this one
                        await().atMost(LONG).alias("both nodes subscribed again")
                                .until(() -> c.sync().clientList().lines().filter(l -> l.contains(" flags=P")).count() >= 2);
                        assertThat(c.sync().clientKill(KillArgs.Builder.typePubsub())).isPositive();
                    }
                }
                int expected = sent;
                await().atMost(LONG).until(() -> acked(sender).size() == expected);
            }
        } finally {
            admin.shutdown();
        }
        int total = sent;
        assertThat(repaired()).as("gaps repaired on the two nodes").isPositive();
        assertThat(a.metric("wschat_redis_repair_fetched_total") + b.metric("wschat_redis_repair_fetched_total"))
                .isPositive();
        assertThat(a.metric("wschat_redis_reconnects_total") + b.metric("wschat_redis_reconnects_total"))
                .isPositive();
        Map<String, Long> acks = ackedSeqs(sender);
        assertThat(acks).as("every message acknowledged").hasSize(total);
        for (TestClient c : clients) {
            await().atMost(LONG).until(() -> seqs(c, ROOM).size() >= total);
            assertThat(seqs(c, ROOM)).containsExactlyElementsOf(range(1, total));
            List<String> bodies = Chats.bodies(c, ROOM);
            acks.forEach((id, seq) -> assertThat(bodies.get((int) (seq - 1)))
                    .as("seq %d, acknowledged for %s", seq, id).isEqualTo(id));
            assertThat(c.closed()).as("no client was disconnected").isNotDone();
            assertThat(Chats.received(c, "system").stream().filter(m -> "welcome".equals(str(m, "event"))))
                    .as("one welcome: the client never reconnected").hasSize(1);
        }
        assertThat(List.of(cluster.nodeOf(clientId(sender)), cluster.nodeOf(clientId(onA)),
                cluster.nodeOf(clientId(onB))))
                .as("every client still on its node").containsExactly(a, a, b);
        assertThat(cluster.sum("wschat_connections_opened_total")).as("no client reconnected").isEqualTo(opened);
    }

    @Test
    void aMessageWhosePublishWasLostIsReadFromTheStreamAndDeliveredBeforeTheNextOne() {
        TestClient onA = cluster.v2On(a);
        TestClient onB = cluster.v2On(b);
        join(onA, ROOM);
        join(onB, ROOM);
        chat(onA, ROOM, "first");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(seqs(onB, ROOM))
                .as("b got %s; a got %s; b pubsub %s", onB.received(), onA.received(),
                        b.metric("wschat_redis_pubsub_received_total")).hasSize(1));
        RedisClient admin = RedisClient.create(cluster.redis().url());
        try (StatefulRedisConnection<String, String> c = admin.connect()) {
            // What a script does when its PUBLISH never reaches a subscriber: seq 2 is stored, nobody hears of it.
            assertThat(c.sync().hincrby("{dev}:meta", "seq", 1)).isEqualTo(2);
            java.util.Map<String, String> entry = new java.util.LinkedHashMap<>();
            entry.put("m", "{\"i\":\"lost-2\",\"u\":\"ghost\",\"n\":\"ghost\",\"ts\":\"2026-12-01T00:00:00.000Z\","
                    + "\"b\":\"unheard\"}");
            entry.put("t", Long.toString(System.currentTimeMillis()));
            c.sync().xadd("{dev}:stream", new io.lettuce.core.XAddArgs().id("2-0"), entry);
        } finally {
            admin.shutdown();
        }
        chat(onA, ROOM, "third");
        for (TestClient c : List.of(onA, onB)) {
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(seqs(c, ROOM))
                    .as("got %s; gaps a %s b %s", c.received(), a.metric("wschat_redis_gaps_repaired_total"),
                            b.metric("wschat_redis_gaps_repaired_total")).hasSize(3));
            assertThat(seqs(c, ROOM)).containsExactly(1L, 2L, 3L);
            assertThat(Chats.bodies(c, ROOM)).containsExactly("first", "unheard", "third");
        }
        assertThat(a.metric("wschat_redis_gaps_repaired_total")).isEqualTo(1.0);
        assertThat(b.metric("wschat_redis_repair_fetched_total")).isEqualTo(1.0);
    }

    @Test
    void tutorialClientsOnTwoNodesChatInTheLobbyAndTheSenderGetsNoEcho() {
        TestClient t1 = cluster.tutorialOn(a);
        TestClient t2 = cluster.tutorialOn(b);
        TestClient v2 = cluster.v2On(b);
        t1.send("hello from a");
        assertThat(str(t2.next(m -> "chat".equals(str(m, "type"))), "message")).isEqualTo("hello from a");
        await().atMost(LONG).until(() -> Chats.bodies(v2, "lobby").contains("hello from a"));
        t2.send("reply from b");
        assertThat(str(t1.next(m -> "chat".equals(str(m, "type"))), "message"))
                .as("the tutorial sender's own message is not echoed").isEqualTo("reply from b");
    }

    private double repaired() {
        return a.metric("wschat_redis_gaps_repaired_total") + b.metric("wschat_redis_gaps_repaired_total");
    }

    @Test
    void aNodeWithNoMemberOfARoomReceivesNoneOfItsMessages() {
        TestClient onA = cluster.v2On(a);
        join(onA, ROOM);
        TestClient onB = cluster.v2On(b);
        onB.send(new ClientMessage.Leave("lobby", null));
        onB.next(m -> "leave".equals(str(m, "event")));
        join(onB, "other");
        join(onA, "other");
        await().atMost(LONG).until(() -> b.metric("wschat_redis_subscribed_rooms") == 1.0);
        chat(onA, "other", "marker-1");
        await().atMost(LONG).until(() -> Chats.bodies(onB, "other").contains("marker-1"));
        double before = b.metric("wschat_redis_pubsub_received_total");

        for (int i = 0; i < 50; i++) {
            chat(onA, ROOM, "dev-" + i);
            chat(onA, "lobby", "lobby-" + i);
        }
        await().atMost(LONG).until(() -> seqs(onA, ROOM).size() == 50);
        chat(onA, "other", "marker-2");
        await().atMost(LONG).until(() -> Chats.bodies(onB, "other").contains("marker-2"));
        assertThat(b.metric("wschat_redis_pubsub_received_total"))
                .as("node b received only the marker, nothing of dev or lobby").isEqualTo(before + 1);
        assertThat(a.metric("wschat_redis_pubsub_received_total")).isGreaterThanOrEqualTo(101);
    }

    @Test
    void aResumeOnTheOtherNodeReturnsExactlyTheMissedMessages() {
        TestClient sender = cluster.v2On(b);
        join(sender, ROOM);
        TestClient reader = cluster.v2On(a);
        String epoch = str(join(reader, ROOM), "epoch");
        for (int i = 0; i < 5; i++) {
            chat(sender, ROOM, "seen-" + i);
        }
        await().atMost(LONG).until(() -> seqs(reader, ROOM).size() == 5);
        reader.close();
        for (int i = 0; i < 7; i++) {
            chat(sender, ROOM, "missed-" + i);
        }
        await().atMost(LONG).until(() -> acked(sender).size() == 12);

        TestClient back = cluster.v2On(b);
        back.send("{\"type\":\"join\",\"room\":\"dev\",\"since\":5,\"epoch\":\"" + epoch + "\"}");
        JsonObject history = back.next(m -> "history".equals(str(m, "type")) && ROOM.equals(str(m, "room")));
        assertThat(history.get("recovered").getAsBoolean()).isTrue();
        assertThat(str(history, "epoch")).isEqualTo(epoch);
        List<String> bodies = new ArrayList<>();
        List<Long> got = new ArrayList<>();
        history.getAsJsonArray("messages").forEach(e -> {
            got.add(e.getAsJsonObject().get("seq").getAsLong());
            bodies.add(str(e.getAsJsonObject(), "message"));
        });
        assertThat(got).containsExactlyElementsOf(range(6, 12));
        assertThat(bodies).containsExactly("missed-0", "missed-1", "missed-2", "missed-3", "missed-4", "missed-5",
                "missed-6");
        chat(sender, ROOM, "live");
        await().atMost(LONG).until(() -> seqs(back, ROOM).contains(13L));
        assertThat(seqs(back, ROOM)).containsExactly(13L);
    }
}
