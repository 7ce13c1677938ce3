package dev.wschat.server.redis;

import dev.wschat.server.testing.Cluster;
import dev.wschat.server.testing.RedisServer;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.wschat.server.redis.Chats.LONG;
import static dev.wschat.server.redis.Chats.acked;
import static dev.wschat.server.redis.Chats.ackedSeqs;
import static dev.wschat.server.redis.Chats.bodies;
import static dev.wschat.server.redis.Chats.chat;
import static dev.wschat.server.redis.Chats.join;
import static dev.wschat.server.redis.Chats.range;
import static dev.wschat.server.redis.Chats.seqs;
import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Redis is killed with {@code kill -9} and restarted during traffic on two nodes behind nginx, a sender and a reader
 * on each: chats are refused with {@code unavailable} meanwhile, {@code /ready} answers 503, senders resend what was
 * not acknowledged, and in the end every client has seq 1..N once each with every acknowledged message at its
 * acknowledged seq, without any client reconnecting or any node restarting.
 */
class RedisOutageTest {
    private static final String ROOM = "dev";
    @AutoClose
    private final Cluster cluster = Cluster.start(2);

    @Test
    void redisKilledAndRestartedDuringTrafficLosesNothingAcknowledged() throws Exception {
        RedisServer redis = cluster.redis();
        RunningServer a = cluster.node(0);
        RunningServer b = cluster.node(1);
        TestClient senderA = cluster.v2On(a);
        TestClient senderB = cluster.v2On(b);
        TestClient readerA = cluster.v2On(a);
        TestClient readerB = cluster.v2On(b);
        List<TestClient> clients = List.of(senderA, senderB, readerA, readerB);
        clients.forEach(c -> join(c, ROOM));
        double opened = cluster.sum("wschat_connections_opened_total");
        int perSender = 100;
        Set<String> idsA = new LinkedHashSet<>();
        Set<String> idsB = new LinkedHashSet<>();
        for (int i = 0; i < perSender; i++) {
            idsA.add("a-" + i);
            idsB.add("b-" + i);
            chat(senderA, ROOM, "a-" + i);
            chat(senderB, ROOM, "b-" + i);
            if (i == 40) {
                redis.kill();
                cluster.awaitReady(503);
                assertThat(a.get("/ready").body()).isEqualTo("unavailable\n");
                assertThat(a.metric("wschat_redis_up")).isZero();
            }
            if (i == 70) {
                redis.restart();
            }
        }
        cluster.awaitReady(200);
        assertThat(errors(senderA) + errors(senderB)).as("chats refused while Redis was down").isPositive();

        // What a client does: send again, with the same clientMsgId, what was not acknowledged.
        await().atMost(LONG).pollInterval(Duration.ofMillis(500)).until(() -> {
            boolean a1 = resendUnacked(senderA, idsA);
            boolean b1 = resendUnacked(senderB, idsB);
            return a1 && b1;
        });

        int total = 2 * perSender;
        Set<String> all = new HashSet<>(idsA);
        all.addAll(idsB);
        Map<String, Long> acks = new LinkedHashMap<>(ackedSeqs(senderA));
        acks.putAll(ackedSeqs(senderB));
        assertThat(acks.keySet()).as("every message acknowledged").isEqualTo(all);
        for (TestClient c : clients) {
            await().atMost(LONG).until(() -> seqs(c, ROOM).size() >= total);
            assertThat(seqs(c, ROOM)).containsExactlyElementsOf(range(1, total));
            assertThat(new HashSet<>(bodies(c, ROOM))).isEqualTo(all);
            List<String> bodies = bodies(c, ROOM);
            acks.forEach((id, seq) -> assertThat(bodies.get((int) (seq - 1))).as("seq %d, acknowledged for %s", seq, id)
                    .isEqualTo(id));
            assertThat(c.closed()).as("no client was disconnected").isNotDone();
        }
        assertThat(a.server().service().sessionCount()).isEqualTo(2);
        assertThat(b.server().service().sessionCount()).isEqualTo(2);
        assertThat(cluster.sum("wschat_connections_opened_total")).as("no client reconnected").isEqualTo(opened);
        assertThat(a.metric("wschat_redis_reconnects_total")).isPositive();
    }

    private static long errors(TestClient c) {
        return Chats.received(c, "error").stream().filter(e -> "unavailable".equals(str(e, "code"))).count();
    }

    /** Resends every message of {@code ids} not acknowledged yet; true when all are. */
    private static boolean resendUnacked(TestClient sender, Set<String> ids) {
        Set<String> missing = new LinkedHashSet<>(ids);
        missing.removeAll(acked(sender));
        for (String id : missing) {
            chat(sender, ROOM, id);
        }
        return missing.isEmpty();
    }
}
