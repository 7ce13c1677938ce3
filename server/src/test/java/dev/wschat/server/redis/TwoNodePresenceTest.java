package dev.wschat.server.redis;

import dev.wschat.protocol.ClientMessage;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.testing.Cluster;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.wschat.server.redis.Chats.clientId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two real nodes on one Redis behind nginx, a client on each: who lists both nodes' members, and an ordinary leave is
 * announced once.
 */
class TwoNodePresenceTest {
    @AutoClose
    private final Cluster cluster = Cluster.start(2);

    private static List<String> who(TestClient c, String room) {
        c.send(new ClientMessage.Who(room, "w"));
        return c.nextOf(ServerMessage.Presence.class, p -> "w".equals(p.ref())).users().stream()
                .map(ServerMessage.User::id).toList();
    }

    @Test
    void whoListsBothNodesAndALeaveOnTheOtherNodeIsAnnouncedOnce() {
        TestClient x = cluster.v2On(cluster.node(0));
        TestClient y = cluster.v2On(cluster.node(1));
        Chats.join(x, "dev");
        Chats.join(y, "dev");
        List<String> both = new ArrayList<>(List.of(clientId(x), clientId(y)));
        both.sort(null);
        await().atMost(Duration.ofSeconds(10)).until(() -> who(x, "dev").equals(both) && who(y, "dev").equals(both));

        y.send(new ClientMessage.Leave("dev", null));
        await().atMost(Duration.ofSeconds(10)).until(() -> who(x, "dev").equals(List.of(clientId(x))));
        await().during(Duration.ofSeconds(8)).atMost(Duration.ofSeconds(12)).until(() -> leaves(x, clientId(y)) == 1);
    }

    private static long leaves(TestClient c, String id) {
        return c.noticesAbout(id).stream().filter("leave:dev"::equals).count();
    }
}
