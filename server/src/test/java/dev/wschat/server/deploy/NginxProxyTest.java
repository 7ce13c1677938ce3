package dev.wschat.server.deploy;

import com.google.gson.JsonObject;
import dev.wschat.server.testing.Nginx;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;

/** The shipped {@code deploy/nginx.conf} in front of real nodes: the upgrade goes through, and a dead node is passed over. */
class NginxProxyTest {

    @Test
    void bothDialectsChatThroughNginx() throws Exception {
        try (RunningServer node = RunningServer.start();
             Nginx nginx = Nginx.start(List.of(node.port()));
             TestClient ada = TestClient.v2(nginx.uri("/ws"));
             TestClient tutorial = TestClient.tutorial(nginx.uri("/"))) {
            String adaName = str(ada.welcome(), "username");
            ada.sendJson("type", "chat", "room", "lobby", "content", "through nginx", "clientMsgId", "c-1");

            JsonObject ack = ada.nextOfType("ack");
            assertThat(str(ack, "clientMsgId")).isEqualTo("c-1");
            JsonObject heard = tutorial.next(m -> "chat".equals(str(m, "type"))
                    && "through nginx".equals(str(m, "message")));
            assertThat(str(heard, "username")).isEqualTo(adaName);

            ada.sendClose(1000, "bye");
            assertThat(ada.awaitCloseCode()).isEqualTo(1000);
        }
    }

    @Test
    void aStoppedNodeIsPassedOverForNewConnections() throws Exception {
        RunningServer first = RunningServer.start();
        try (RunningServer second = RunningServer.start();
             Nginx nginx = Nginx.start(List.of(first.port(), second.port()))) {
            first.close();
            List<TestClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) {
                    TestClient c = TestClient.v2(nginx.uri("/ws"));
                    clients.add(c);
                    assertThat(str(c.welcome(), "clientId")).isNotBlank();
                }
                assertThat(second.metric("wschat_connections_opened_total")).as("every client reached the live node")
                        .isEqualTo(10.0);
            } finally {
                clients.forEach(TestClient::close);
            }
        } finally {
            first.close();
        }
    }

    @Test
    void perAddressLimitsCountTheClientsBehindNginxNotNginx() throws Exception {
        // Clients reach nginx from 127.0.0.1; each says where it came from as a further proxy would, and nginx
        // appends 127.0.0.1. Trusting 127.0.0.1 makes the node count 198.51.100.x, not nginx.
        try (RunningServer node = RunningServer.start("--trusted-proxies", "127.0.0.1",
                "--max-connections-per-address", "2");
             Nginx nginx = Nginx.start(List.of(node.port()))) {
            List<TestClient> clients = new ArrayList<>();
            try {
                clients.add(from(nginx, "198.51.100.1").connect());
                clients.add(from(nginx, "198.51.100.1").connect());
                assertThat(from(nginx, "198.51.100.1").handshakeStatus()).as("a third from the same client")
                        .isEqualTo(503);
                for (int i = 2; i <= 4; i++) {
                    clients.add(from(nginx, "198.51.100." + i).connect());
                }
                assertThat(node.metric("wschat_connections_opened_total")).isEqualTo(5.0);
            } finally {
                clients.forEach(TestClient::close);
            }
        }
        try (RunningServer node = RunningServer.start("--max-connections-per-address", "2");
             Nginx nginx = Nginx.start(List.of(node.port()));
             TestClient a = from(nginx, "198.51.100.1").connect();
             TestClient b = from(nginx, "198.51.100.2").connect()) {
            assertThat(from(nginx, "198.51.100.3").handshakeStatus())
                    .as("without --trusted-proxies every client is nginx's address").isEqualTo(503);
        }
    }

    private static TestClient.Connect from(Nginx nginx, String address) {
        return TestClient.to(nginx.uri("/ws")).subprotocol(TestClient.V2).header("X-Forwarded-For", address);
    }
}
