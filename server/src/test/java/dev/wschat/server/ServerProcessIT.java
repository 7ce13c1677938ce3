package dev.wschat.server;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
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

    @Test
    void versionPrintsTheProjectVersionAndExitsZero() throws Exception {
        try (ServerProcess version = ServerProcess.start(Map.of(), "--version")) {
            assertThat(version.awaitExit(Duration.ofSeconds(20))).isZero();
            assertThat(version.output()).first().asString().matches("wschat-server \\d+\\.\\d+\\.\\d+.*");
        }
    }

    @Test
    void aBadEnvironmentVariableExits2NamingIt() throws Exception {
        try (ServerProcess bad = ServerProcess.start(Map.of("WSCHAT_MAX_ROOMS", "0"), "--host", "127.0.0.1")) {
            assertThat(bad.awaitExit(Duration.ofSeconds(20))).isEqualTo(2);
            assertThat(bad.output()).containsExactly(
                    "wschat: --max-rooms (from environment WSCHAT_MAX_ROOMS) must be at least 1: 0");
        }
    }

    @Test
    void jsonLogsAreOneJsonObjectPerLineWithTheMessage() throws Exception {
        try (ServerProcess server = ServerProcess.start(Map.of("WSCHAT_LOG_FORMAT", "json"),
                "--host", "127.0.0.1", "--port", "0", "--admin-port", "0")) {
            server.awaitPort();
            server.awaitOutput("wschat admin listening on http://127.0.0.1:");
            server.terminate();
            assertThat(server.awaitExit(Duration.ofSeconds(20))).isZero();
            server.awaitOutput("wschat stopped");
            List<String> messages = new ArrayList<>();
            for (String line : server.output()) {
                JsonObject event = JsonParser.parseString(line).getAsJsonObject();
                assertThat(event.get("log.level").getAsString()).isEqualTo("INFO");
                assertThat(event.get("log.logger").getAsString()).startsWith("dev.wschat.");
                assertThat(event.has("@timestamp")).isTrue();
                messages.add(str(event, "message"));
            }
            assertThat(messages).anySatisfy(m -> assertThat(m).startsWith("wschat starting on 127.0.0.1:0"))
                    .anySatisfy(m -> assertThat(m).startsWith("wschat listening on ws://127.0.0.1:"))
                    .contains("wschat stopped");
        }
    }

    @Test
    void textLogsAreTheDefault() throws Exception {
        try (ServerProcess server = ServerProcess.start(Map.of(), "--host", "127.0.0.1", "--port", "0")) {
            server.awaitPort();
            assertThat(server.output()).anySatisfy(line -> assertThat(line)
                    .matches("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+ INFO  \\[main\\] ChatServer - wschat listening on .*"));
            server.terminate();
            assertThat(server.awaitExit(Duration.ofSeconds(20))).isZero();
        }
    }
}
