package dev.wschat.server;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.wschat.server.testing.Http;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.ServerProcess;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.wschat.server.testing.RunningServer.noRateLimit;
import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A resume token across a restart of the server process (the real JAR, same {@code --data-dir} and
 * {@code --session-secret}): the identity comes back; the rooms were not kept, so the client's {@code resume}
 * message joins them with {@code since} and recovers exactly what it missed.
 */
class SessionResumeIT {
    private static final String SECRET = "a-session-secret-shared-by-every-node-0123";
    private final List<TestClient> clients = new ArrayList<>();
    private final List<ServerProcess> processes = new ArrayList<>();

    @AfterEach
    void stop() {
        clients.forEach(TestClient::close);
        processes.forEach(ServerProcess::close);
    }

    private ServerProcess start(Path dataDir) throws Exception {
        ServerProcess process = ServerProcess.start(Map.of("WSCHAT_SESSION_SECRET", SECRET), noRateLimit("--host",
                "127.0.0.1", "--port", "0", "--data-dir", dataDir.toString()));
        processes.add(process);
        process.awaitPort();
        return process;
    }

    private TestClient connect(URI ws) {
        TestClient client = TestClient.v2(ws);
        clients.add(client);
        return client;
    }

    private static JsonObject historyOf(TestClient c, String room) {
        return c.next(m -> "history".equals(str(m, "type")) && room.equals(str(m, "room")));
    }

    private static List<String> bodies(JsonObject history) {
        List<String> out = new ArrayList<>();
        for (JsonElement e : history.getAsJsonArray("messages")) {
            out.add(e.getAsJsonObject().get("message").getAsString());
        }
        return out;
    }

    @Test
    void afterARestartWithTheSameSecretTheTokenResumesTheIdentityAndTheRoomsRecoverExactly() throws Exception {
        Path dataDir = RunningServer.freshDataDir();
        ServerProcess first = start(dataDir);
        TestClient alice = connect(first.uri("/ws"));
        String id = str(alice.welcome(), "clientId");
        alice.sendJson("type", "setUsername", "username", "alice");
        String token = str(alice.nextOfType("token"), "resumeToken");
        alice.sendJson("type", "join", "room", "dev");
        String epoch = str(historyOf(alice, "dev"), "epoch");
        TestClient bob = connect(first.uri("/ws"));
        bob.welcome();
        bob.sendJson("type", "join", "room", "dev");
        historyOf(bob, "dev");
        bob.sendJson("type", "chat", "room", "dev", "content", "seen");
        JsonObject seen = alice.next(m -> "chat".equals(str(m, "type")) && "seen".equals(str(m, "message")));
        long since = seen.get("seq").getAsLong();
        for (int i = 0; i < 3; i++) {
            bob.send("{\"type\":\"chat\",\"room\":\"dev\",\"content\":\"missed-" + i + "\",\"clientMsgId\":\"b" + i
                    + "\"}");
            bob.nextOfType("ack");
        }
        first.close(); // SIGKILL: nothing of the sessions survives but the token and the history
        first.awaitExit(Duration.ofSeconds(20));

        ServerProcess second = start(dataDir);
        TestClient back = connect(second.uri("/ws?resume=" + URLEncoder.encode(token, StandardCharsets.UTF_8)));
        JsonObject welcome = back.welcome();
        assertThat(welcome.get("resumed").getAsBoolean()).isTrue();
        assertThat(str(welcome, "clientId")).isEqualTo(id);
        assertThat(str(welcome, "username")).isEqualTo("alice");
        back.send("{\"type\":\"resume\",\"rooms\":[{\"room\":\"dev\",\"since\":" + since + ",\"epoch\":\"" + epoch
                + "\"}]}");
        JsonObject history = historyOf(back, "dev");
        assertThat(history.get("recovered").getAsBoolean()).isTrue();
        assertThat(bodies(history)).containsExactly("missed-0", "missed-1", "missed-2");
    }
    @Test
    void withoutASecretOneNodeKeepsItsOwnKeyInTheDataDirectorySoSessionsSurviveARestart() throws Exception {
        Path dataDir = RunningServer.freshDataDir();
        String[] options = noRateLimit("--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir.toString());
        ServerProcess first = ServerProcess.start(Map.of(), options);
        processes.add(first);
        first.awaitPort();
        TestClient alice = connect(first.uri("/ws"));
        JsonObject hello = alice.welcome();
        Path key = dataDir.resolve("session-secret");
        assertThat(Files.getPosixFilePermissions(key)).as("only the server's user may read the key")
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        first.close(); // SIGKILL
        first.awaitExit(Duration.ofSeconds(20));

        ServerProcess second = ServerProcess.start(Map.of(), options);
        processes.add(second);
        second.awaitPort();
        TestClient back = connect(second.uri("/ws?resume="
                + URLEncoder.encode(str(hello, "resumeToken"), StandardCharsets.UTF_8)));
        JsonObject welcome = back.welcome();
        assertThat(welcome.get("resumed").getAsBoolean()).isTrue();
        assertThat(str(welcome, "clientId")).isEqualTo(str(hello, "clientId"));
    }

    @Test
    void withHistoryNoneNothingIsWrittenAndARestartStartsNewSessions() throws Exception {
        Path dataDir = RunningServer.freshDataDir();
        String[] options = noRateLimit("--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir.toString(),
                "--history", "none");
        ServerProcess first = ServerProcess.start(Map.of(), options);
        processes.add(first);
        first.awaitPort();
        JsonObject hello = connect(first.uri("/ws")).welcome();
        first.close();
        first.awaitExit(Duration.ofSeconds(20));
        assertThat(dataDir.resolve("session-secret")).doesNotExist();

        ServerProcess second = ServerProcess.start(Map.of(), options);
        processes.add(second);
        second.awaitPort();
        JsonObject welcome = connect(second.uri("/ws?resume="
                + URLEncoder.encode(str(hello, "resumeToken"), StandardCharsets.UTF_8))).welcome();
        assertThat(welcome.get("resumed").getAsBoolean()).isFalse();
        assertThat(str(welcome, "clientId")).isNotEqualTo(str(hello, "clientId"));
    }

    @Test
    void aKeyFileWithoutAUsableKeyStopsTheStartNamingIt() throws Exception {
        Path dataDir = RunningServer.freshDataDir();
        Files.createDirectories(dataDir);
        Files.writeString(dataDir.resolve("session-secret"), "short\n");
        ServerProcess bad = ServerProcess.start(Map.of(), "--host", "127.0.0.1", "--port", "0", "--data-dir",
                dataDir.toString());
        processes.add(bad);
        assertThat(bad.awaitExit(Duration.ofSeconds(20))).isEqualTo(2);
        assertThat(bad.output()).anyMatch(l -> l.contains("session-secret") && l.contains("no usable"));
    }

    @Test
    void aDirectMessageKeptForAUserAwaySurvivesKill9AndIsGivenWhenTheyResume() throws Exception {
        Path dataDir = RunningServer.freshDataDir();
        ServerProcess first = start(dataDir);
        TestClient alice = connect(first.uri("/ws"));
        JsonObject hello = alice.welcome();
        String id = str(hello, "clientId");
        String token = str(hello, "resumeToken");
        TestClient bob = connect(first.uri("/ws"));
        bob.welcome();
        alice.abort(); // dropped, not closed: its session is kept for the resume window
        String metrics = "http://127.0.0.1:" + first.awaitPort();
        await().atMost(Duration.ofSeconds(10)).until(() ->
                Http.metric(HttpClient.newHttpClient(), metrics, "wschat_sessions_detached") == 1.0);
        bob.send("{\"type\":\"dm\",\"to\":\"" + id + "\",\"content\":\"kept for you\"}");
        JsonObject echo = bob.next(m -> "dm".equals(str(m, "type")) || "error".equals(str(m, "type")));
        assertThat(str(echo, "type")).as("echoed once stored: " + echo).isEqualTo("dm");
        first.close(); // SIGKILL right after the echo
        first.awaitExit(Duration.ofSeconds(20));

        ServerProcess second = start(dataDir);
        TestClient back = connect(second.uri("/ws?resume=" + URLEncoder.encode(token, StandardCharsets.UTF_8)));
        assertThat(str(back.welcome(), "clientId")).isEqualTo(id);
        JsonObject dm = back.nextOfType("dm");
        assertThat(str(dm, "message")).isEqualTo("kept for you");
        assertThat(str(dm, "id")).isEqualTo(str(echo, "id"));
    }
}
