package dev.wschat.server.redis;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.wschat.server.testing.RedisServer;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.wschat.server.redis.Chats.LONG;
import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Two real nodes on one Redis: who lists both nodes' members, and an ordinary leave is announced once. */
class TwoNodePresenceTest {
    private RedisServer redis;
    private RunningServer a;
    private RunningServer b;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        a = Chats.node(redis.url());
        b = Chats.node(redis.url());
        await().atMost(LONG).until(() -> a.get("/ready").statusCode() == 200 && b.get("/ready").statusCode() == 200);
    }

    @AfterEach
    void stop() {
        a.close();
        b.close();
        redis.close();
    }

    private static String id(TestClient c) {
        return str(JsonParser.parseString(c.received().get(0)).getAsJsonObject(), "clientId");
    }

    private static List<String> who(TestClient c, String room) {
        c.sendJson("type", "who", "room", room, "ref", "w");
        JsonObject p = c.next(m -> "presence".equals(str(m, "type")) && "w".equals(str(m, "ref")));
        List<String> ids = new ArrayList<>();
        for (JsonElement u : p.getAsJsonArray("users")) {
            ids.add(u.getAsJsonObject().get("id").getAsString());
        }
        return ids;
    }

    @Test
    void whoListsBothNodesAndALeaveOnTheOtherNodeIsAnnouncedOnce() {
        TestClient x = a.v2();
        TestClient y = b.v2();
        Chats.join(x, "dev");
        Chats.join(y, "dev");
        List<String> both = new ArrayList<>(List.of(id(x), id(y)));
        both.sort(null);
        await().atMost(Duration.ofSeconds(10)).until(() -> who(x, "dev").equals(both) && who(y, "dev").equals(both));

        y.sendJson("type", "leave", "room", "dev");
        await().atMost(Duration.ofSeconds(10)).until(() -> who(x, "dev").equals(List.of(id(x))));
        await().during(Duration.ofSeconds(8)).atMost(Duration.ofSeconds(12)).until(() -> leaves(x, id(y)) == 1);
    }

    private static long leaves(TestClient c, String id) {
        return Chats.received(c, "system").stream().filter(m -> "leave".equals(str(m, "event"))
                && "dev".equals(str(m, "room")) && id.equals(m.getAsJsonObject("user").get("id").getAsString())).count();
    }
}
