package dev.wschat.server.redis;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.wschat.protocol.ClientMessage;
import dev.wschat.server.testing.RedisServer;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.ServerProcess;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.wschat.server.redis.Chats.clientId;
import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A node killed with {@code kill -9} (the real JAR as a child process): within 10 s the other node's {@code who}
 * no longer lists its users, and the other node's client got exactly one {@code leave} per user.
 */
class PresenceKillIT {

    private static List<String> who(TestClient c) {
        c.send(new ClientMessage.Who("dev", "w"));
        JsonObject p = c.next(m -> "presence".equals(str(m, "type")) && "w".equals(str(m, "ref")));
        List<String> ids = new ArrayList<>();
        for (JsonElement u : p.getAsJsonArray("users")) {
            ids.add(u.getAsJsonObject().get("id").getAsString());
        }
        ids.sort(null);
        return ids;
    }

    private static List<String> leaves(TestClient c) {
        return Chats.received(c, "system").stream().filter(m -> "leave".equals(str(m, "event"))
                && "dev".equals(str(m, "room"))).map(m -> m.getAsJsonObject("user").get("id").getAsString()).toList();
    }

    @Test
    void aKilledNodesUsersLeavePresenceWithinTenSecondsWithOneLeaveEach() throws Exception {
        try (RedisServer redis = RedisServer.start();
             RunningServer a = Chats.node(redis.url());
             ServerProcess b = ServerProcess.start(Map.of(), RunningServer.noRateLimit("--host", "127.0.0.1",
                     "--port", "0", "--redis", redis.url()))) {
            await().atMost(Chats.LONG).until(() -> a.get("/ready").statusCode() == 200);
            TestClient x = a.v2();
            Chats.join(x, "dev");
            List<TestClient> onB = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                TestClient y = TestClient.v2(b.uri("/ws"));
                onB.add(y);
                Chats.join(y, "dev");
            }
            List<String> everyone = new ArrayList<>(List.of(clientId(x), clientId(onB.get(0)), clientId(onB.get(1))));
            everyone.sort(null);
            await().atMost(Duration.ofSeconds(10)).until(() -> who(x).equals(everyone));

            long killed = System.nanoTime();
            b.close(); // kill -9
            await().atMost(Duration.ofSeconds(10)).until(() -> who(x).equals(List.of(clientId(x))));
            assertThat(Duration.ofNanos(System.nanoTime() - killed)).isLessThan(Duration.ofSeconds(10));
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(6)).until(() -> leaves(x).size() == 2);
            assertThat(leaves(x)).containsExactlyInAnyOrder(clientId(onB.get(0)), clientId(onB.get(1)));
            onB.forEach(TestClient::close);
        }
    }
}
