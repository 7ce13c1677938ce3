package dev.wschat.server;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.wschat.server.testing.ServerProcess;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * SIGTERM to the real JAR while clients chat: every message the server accepted reaches every connected
 * member, every client then gets close 1001, and the process exits 0.
 */
class DrainIT {
    private static final int CLIENTS = 8;
    /** Chats every client must have received before the signal, so the drain has traffic in flight. */
    private static final int CHATS_BEFORE_SIGTERM = CLIENTS * 12;

    private final List<TestClient> clients = new ArrayList<>();

    @AfterEach
    void stop() {
        clients.forEach(TestClient::close);
    }

    private static long chatsReceived(TestClient client) {
        return client.received().stream().filter(t -> t.contains("\"type\":\"chat\"")).count();
    }

    @Test
    void sigtermDeliversEverythingAcceptedThenCloses1001AndExits0() throws Exception {
        try (ServerProcess process = ServerProcess.start(Map.of(), "--host", "127.0.0.1", "--port", "0",
                "--drain-timeout", "10000")) {
            URI ws = process.uri("/ws");
            for (int i = 0; i < CLIENTS; i++) {
                TestClient client = TestClient.v2(ws);
                clients.add(client);
                client.nextOfType("presence");
            }
            // Every client chats at 12 messages a second (under the default rate limit) until its connection closes.
            List<Thread> senders = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                TestClient client = clients.get(i);
                String name = "c" + i;
                Thread sender = new Thread(() -> {
                    for (int n = 0; n < 10_000 && !client.closed().isDone(); n++) {
                        try {
                            client.ws().sendText("{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"" + name
                                    + "-" + n + "\"}", true).get(5, TimeUnit.SECONDS);
                            Thread.sleep(80); // pacing the sender under the rate limit, not waiting for traffic
                        } catch (Exception e) {
                            return;
                        }
                    }
                }, "sender-" + i);
                sender.setDaemon(true);
                sender.start();
                senders.add(sender);
            }
            await().atMost(TestClient.TIMEOUT).untilAsserted(() -> assertThat(clients)
                    .allMatch(c -> chatsReceived(c) >= CHATS_BEFORE_SIGTERM));

            process.terminate(); // SIGTERM
            assertThat(process.awaitExit(Duration.ofSeconds(20))).as("the server exits within the drain time")
                    .isEqualTo(0);
            for (TestClient client : clients) {
                assertThat(client.awaitClose()).isEqualTo(new TestClient.Close(1001, ChatServer.SHUTDOWN_REASON));
            }
            for (Thread sender : senders) {
                sender.join(5_000);
            }

            List<Set<String>> received = new ArrayList<>();
            Set<String> accepted = new HashSet<>();
            for (TestClient client : clients) {
                Set<String> ids = new HashSet<>();
                for (String text : client.received()) {
                    JsonObject msg = JsonParser.parseString(text).getAsJsonObject();
                    if ("chat".equals(msg.get("type").getAsString())) {
                        ids.add(msg.get("id").getAsString());
                    }
                }
                received.add(ids);
                accepted.addAll(ids);
            }
            // A message the server accepted reached at least one member; it must have reached them all.
            assertThat(accepted).hasSizeGreaterThanOrEqualTo(CHATS_BEFORE_SIGTERM);
            for (int i = 0; i < CLIENTS; i++) {
                assertThat(received.get(i)).as("chat messages received by client " + i).isEqualTo(accepted);
            }
            assertThat(process.output()).anyMatch(l -> l.contains("wschat draining"))
                    .anyMatch(l -> l.contains("wschat stopped"));
        }
    }
}
