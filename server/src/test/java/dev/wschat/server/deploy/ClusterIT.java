package dev.wschat.server.deploy;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.wschat.server.testing.Http;
import dev.wschat.server.testing.Nginx;
import dev.wschat.server.testing.RedisServer;
import dev.wschat.server.testing.ServerProcess;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.LongStream;

import static dev.wschat.server.testing.RunningServer.noRateLimit;
import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two real nodes (the JAR, sharing a real Redis and a session secret) behind the real nginx with
 * {@code deploy/nginx.conf}; every client connects through nginx. One node is killed with {@code kill -9} in the
 * middle of traffic: its clients reconnect through nginx (which passes over the dead node), resume with their
 * token and {@code since}, their senders resend what was not acknowledged, and every member ends with the room's
 * messages 1..N exactly once, every acknowledged message among them.
 */
class ClusterIT {
    private static final String ROOM = "dev";
    private static final String SECRET = "cluster-test-secret-0123456789abcdef";
    private static final int PER_SENDER = 60;

    /** One user: its connections in turn (a reconnect is a new one), and what they all received. */
    private static final class Member {
        final Nginx nginx;
        final List<TestClient> connections = new ArrayList<>();
        String token;
        String clientId;

        Member(Nginx nginx) {
            this.nginx = nginx;
            connect(null);
        }

        TestClient current() {
            return connections.get(connections.size() - 1);
        }

        void connect(String resumeToken) {
            URI uri = nginx.uri(resumeToken == null ? "/ws" : "/ws?resume=" + resumeToken);
            TestClient c = TestClient.v2(uri);
            connections.add(c);
            JsonObject welcome = c.welcome();
            if (clientId != null) {
                assertThat(welcome.get("resumed").getAsBoolean()).as("resumed on the other node").isTrue();
                assertThat(str(welcome, "clientId")).isEqualTo(clientId);
            }
            clientId = str(welcome, "clientId");
            token = str(welcome, "resumeToken");
        }

        /** Every chat of the room this user received, live or in a history, by seq; fails on a duplicate. */
        TreeMap<Long, String> seqs(boolean allowRepeatsOfHistory) {
            TreeMap<Long, String> bySeq = new TreeMap<>();
            for (TestClient c : connections) {
                for (String text : c.received()) {
                    JsonObject m = JsonParser.parseString(text).getAsJsonObject();
                    if (!ROOM.equals(str(m, "room"))) {
                        continue;
                    }
                    List<JsonObject> chats = new ArrayList<>();
                    if ("chat".equals(str(m, "type"))) {
                        chats.add(m);
                    } else if ("history".equals(str(m, "type"))) {
                        for (JsonElement e : m.getAsJsonArray("messages")) {
                            chats.add(e.getAsJsonObject());
                        }
                    }
                    for (JsonObject chat : chats) {
                        String previous = bySeq.put(chat.get("seq").getAsLong(), str(chat, "message"));
                        if (!allowRepeatsOfHistory) {
                            assertThat(previous).as(clientId + " got seq " + chat.get("seq") + " twice").isNull();
                        }
                    }
                }
            }
            return bySeq;
        }
    }

    @Test
    void aNodeKilledMidTrafficLosesNothingForItsClientsWhoResumeOnTheOther() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            int portA = ServerProcess.freePort();
            int portB = ServerProcess.freePort();
            Map<String, String> env = Map.of("WSCHAT_SESSION_SECRET", SECRET);
            ServerProcess a = ServerProcess.start(env, noRateLimit("--host", "127.0.0.1", "--port",
                    Integer.toString(portA), "--redis", redis.url(), "--trusted-proxies", "127.0.0.1"));
            try (ServerProcess b = ServerProcess.start(env, noRateLimit("--host", "127.0.0.1", "--port",
                    Integer.toString(portB), "--redis", redis.url(), "--trusted-proxies", "127.0.0.1"))) {
                a.awaitPort();
                b.awaitPort();
                try (Nginx nginx = Nginx.start(List.of(portA, portB))) {
                    run(nginx, a, portA, portB);
                }
            } finally {
                a.close();
            }
        }
    }

    private void run(Nginx nginx, ServerProcess a, int portA, int portB) throws Exception {
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Member m = new Member(nginx);
            m.current().sendJson("type", "join", "room", ROOM);
            m.current().next(o -> "history".equals(str(o, "type")) && ROOM.equals(str(o, "room")));
            members.add(m);
        }
        HttpClient http = HttpClient.newHttpClient();
        double onA = Http.metric(http, "http://127.0.0.1:" + portA, "wschat_connections");
        double onB = Http.metric(http, "http://127.0.0.1:" + portB, "wschat_connections");
        assertThat(onA).as("nginx spread the clients over both nodes").isPositive();
        assertThat(onB).isPositive();

        // Two senders (members 0 and 1; bursts, so the nodes run without the per-connection message rate), each sending PER_SENDER chats with clientMsgIds, half before the kill.
        Map<String, String> unacked = new LinkedHashMap<>();
        for (int s = 0; s < 2; s++) {
            for (int i = 0; i < PER_SENDER; i++) {
                unacked.put("s" + s + "-" + i, Integer.toString(s));
            }
        }
        sendRange(members, 0, PER_SENDER / 2);
        await().atMost(Duration.ofSeconds(20)).until(() -> acked(members).size() >= PER_SENDER / 2);

        a.close(); // kill -9 node A mid-traffic (its last chats may or may not have been stored)
        a.awaitExit(Duration.ofSeconds(20));
        List<Member> dropped = new ArrayList<>();
        for (Member m : members) {
            if (m.current().closed().isDone() || awaitClosedOrAlive(m.current())) {
                dropped.add(m);
            }
        }
        assertThat(dropped).as("node A had clients").isNotEmpty();
        for (Member m : dropped) {
            TreeMap<Long, String> had = m.seqs(true);
            long since = had.isEmpty() ? 0 : had.lastKey();
            m.connect(m.token); // through nginx, which passes over the dead node
            m.current().send("{\"type\":\"resume\",\"rooms\":[{\"room\":\"dev\",\"since\":" + since + ",\"epoch\":\""
                    + epoch(m) + "\"}]}");
            JsonObject history = m.current().next(o -> "history".equals(str(o, "type")) && ROOM.equals(str(o, "room")));
            assertThat(history.get("recovered").getAsBoolean()).as("resumed exactly").isTrue();
        }
        // The senders resend what was not acknowledged (same clientMsgId: stored once), then send the rest.
        for (int s = 0; s < 2; s++) {
            Member sender = members.get(s);
            java.util.Set<String> acks = acked(List.of(sender)).keySet();
            for (int i = 0; i < PER_SENDER / 2; i++) {
                String id = "s" + s + "-" + i;
                if (!acks.contains(id)) {
                    chat(sender, id);
                }
            }
        }
        sendRange(members, PER_SENDER / 2, PER_SENDER);
        await().atMost(Duration.ofSeconds(30)).alias("every chat acknowledged")
                .until(() -> acked(members).size() == 2 * PER_SENDER);

        long n = 2L * PER_SENDER;
        List<Long> all = LongStream.rangeClosed(1, n).boxed().toList();
        for (Member m : members) {
            await().atMost(Duration.ofSeconds(20)).alias(m.clientId + " has 1.." + n)
                    .until(() -> m.seqs(true).size() == n);
            TreeMap<Long, String> seqs = m.seqs(false);
            assertThat(List.copyOf(seqs.keySet())).as(m.clientId + ": one unbroken order").isEqualTo(all);
            assertThat(seqs.values()).as("every chat once").doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(unacked.keySet());
        }
    }

    /** Whether the connection was dropped by the kill (waits for the close to be noticed). */
    private static boolean awaitClosedOrAlive(TestClient c) {
        try {
            c.closed().get(3, java.util.concurrent.TimeUnit.SECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static String epoch(Member m) {
        for (TestClient c : m.connections) {
            for (String text : c.received()) {
                JsonObject o = JsonParser.parseString(text).getAsJsonObject();
                if ("history".equals(str(o, "type")) && ROOM.equals(str(o, "room")) && o.has("epoch")) {
                    return str(o, "epoch");
                }
            }
        }
        throw new AssertionError("no epoch seen by " + m.clientId);
    }

    private static void sendRange(List<Member> members, int from, int to) {
        for (int i = from; i < to; i++) {
            for (int s = 0; s < 2; s++) {
                chat(members.get(s), "s" + s + "-" + i);
            }
        }
    }

    private static void chat(Member sender, String id) {
        sender.current().send("{\"type\":\"chat\",\"room\":\"dev\",\"content\":\"" + id + "\",\"clientMsgId\":\""
                + id + "\"}");
    }

    /** The acks the members' connections received, by clientMsgId. */
    private static Map<String, JsonObject> acked(List<Member> members) {
        Map<String, JsonObject> acks = new LinkedHashMap<>();
        for (Member m : members) {
            for (TestClient c : m.connections) {
                for (String text : c.received()) {
                    JsonObject o = JsonParser.parseString(text).getAsJsonObject();
                    if ("ack".equals(str(o, "type"))) {
                        acks.put(str(o, "clientMsgId"), o);
                    }
                }
            }
        }
        return acks;
    }
}
