package dev.wschat.server;

import com.google.gson.JsonObject;
import dev.wschat.server.testing.ServerProcess;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;

/** The real JAR as a process: start-up options, and the graceful drain on SIGTERM. */
class ServerProcessIT {

    @Test
    void sigtermClosesEveryClientWith1001AndExitsZero() throws Exception {
        try (ServerProcess server = ServerProcess.start(Map.of(), "--host", "127.0.0.1", "--port", "0")) {
            List<TestClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    clients.add(TestClient.tutorial(server.uri("/")));
                    clients.add(TestClient.v2(server.uri("/ws")));
                }
                for (TestClient c : clients) {
                    assertThat(str(c.next(), "type")).isEqualTo("system");
                }
                server.terminate();
                for (TestClient c : clients) {
                    assertThat(c.awaitCloseCode()).isEqualTo(1001);
                    assertThat(c.closeReason()).isEqualTo("Server shutting down");
                }
                assertThat(server.awaitExit(Duration.ofSeconds(20))).isZero();
            } finally {
                clients.forEach(TestClient::close);
            }
        }
    }

    @Test
    void sigtermDuringStartUpWaitsForTheStartThenExitsZero() throws Exception {
        try (ServerProcess server = ServerProcess.start(Map.of(), "--host", "127.0.0.1", "--port", "0")) {
            server.awaitOutput("wschat starting");
            server.terminate();
            assertThat(server.awaitExit(Duration.ofSeconds(30))).isZero();
            server.awaitOutput("wschat stopped");
            assertThat(String.join("\n", server.output())).contains("received a termination signal");
        }
    }

    @Test
    void portEnvironmentVariableIsHonouredAsInTheTutorial() throws Exception {
        int port = ServerProcess.freePort();
        try (ServerProcess server = ServerProcess.start(Map.of("PORT", Integer.toString(port)), "--host", "127.0.0.1")) {
            assertThat(server.awaitPort()).isEqualTo(port);
            try (TestClient c = TestClient.tutorial(server.uri("/"))) {
                JsonObject welcome = c.next();
                assertThat(str(welcome, "message")).startsWith("Welcome! You are connected as User-");
            }
            server.terminate();
            assertThat(server.awaitExit(Duration.ofSeconds(20))).isZero();
        }
    }

    @Test
    void helpListsTheOptionsAndBadOptionsExitWithAMessage() throws Exception {
        try (ServerProcess help = ServerProcess.start(Map.of(), "--help")) {
            assertThat(help.awaitExit(Duration.ofSeconds(20))).isZero();
            assertThat(String.join("\n", help.output())).contains("--port", "--host", "PORT environment variable");
        }
        try (ServerProcess bad = ServerProcess.start(Map.of(), "--port", "70000")) {
            assertThat(bad.awaitExit(Duration.ofSeconds(20))).isEqualTo(2);
            assertThat(String.join("\n", bad.output())).contains("port must be 0..65535: 70000");
        }
    }
}
