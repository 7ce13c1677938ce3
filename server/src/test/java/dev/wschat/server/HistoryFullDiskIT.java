package dev.wschat.server;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.wschat.server.testing.Http;
import dev.wschat.server.testing.ServerProcess;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A full disk heals: the real JAR with its data directory on a 3 MB tmpfs answers {@code unavailable} once the disk is
 * full, {@code /ready} says 503 and {@code wschat_history_writable} 0; once space returns it takes messages again
 * without a restart, and after a {@code kill -9} every acknowledged message is there. Regression: after the first
 * {@code SQLITE_FULL} every later write failed ("statement is not executing") until the server restarted.
 * Mounting needs root, as {@code scripts/test.sh} does for its packages: run elsewhere, the test fails saying so.
 */
class HistoryFullDiskIT {
    private static final String ROOM = "dev";
    private static final String FOUR_KB = "x".repeat(4_000);

    private final List<TestClient> clients = new ArrayList<>();
    private final List<ServerProcess> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private Path disk;
    private boolean mounted;

    @BeforeEach
    void mountSmallDisk() throws Exception {
        assertThat(isRoot()).as("mounting a 3 MB tmpfs needs root: run the suite as root, as scripts/test.sh and CI do")
                .isTrue();
        disk = Files.createTempDirectory("wschat-full-disk");
        run("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", disk.toString());
        mounted = true;
    }

    @AfterEach
    void unmount() throws Exception {
        clients.forEach(TestClient::close);
        for (ServerProcess p : processes) {
            p.close();
            p.awaitExit(Duration.ofSeconds(20));
        }
        if (mounted && run("umount", disk.toString()) != 0) {
            run("umount", "-l", disk.toString());
        }
        if (disk != null) {
            Files.deleteIfExists(disk);
        }
    }

    @Test
    void aFullDiskCostsUnavailableUntilSpaceReturnsAndKeepsEveryAcknowledgedMessage() throws Exception {
        Path filler = disk.resolve("filler");
        Files.write(filler, new byte[1 << 20]);
        Path data = disk.resolve("data");
        ServerProcess server = start(data);
        String base = "http://127.0.0.1:" + server.awaitPort();
        TestClient client = connect(server.uri("/ws"));

        List<String> acked = new ArrayList<>();
        int sent = 0;
        JsonObject refused = null;
        while (refused == null && sent < 2_000) {
            JsonObject reply = chat(client, "m" + sent++);
            if ("ack".equals(str(reply, "type"))) {
                acked.add(str(reply, "id"));
            } else {
                refused = reply;
            }
        }
        assertThat(refused).as("a refusal once the disk is full").isNotNull();
        assertThat(str(refused, "code")).isEqualTo("unavailable");
        assertThat(acked).as("acknowledged before the disk filled").isNotEmpty();
        assertThat(Http.get(http, URI.create(base + "/ready")).statusCode()).as("/ready while full").isEqualTo(503);
        assertThat(Http.metric(http, base, "wschat_history_writable")).isEqualTo(0.0);
        assertThat(str(chat(client, "m" + sent++), "type")).as("still full").isEqualTo("error");

        Files.delete(filler);
        await().atMost(Duration.ofSeconds(20)).alias("/ready once space returned")
                .until(() -> Http.get(http, URI.create(base + "/ready")).statusCode() == 200);
        assertThat(Http.metric(http, base, "wschat_history_writable")).isEqualTo(1.0);
        for (int i = 0; i < 10; i++) {
            JsonObject reply = chat(client, "m" + sent++);
            assertThat(str(reply, "type")).as("a chat after space returned: %s", reply).isEqualTo("ack");
            acked.add(str(reply, "id"));
        }

        server.close(); // SIGKILL
        server.awaitExit(Duration.ofSeconds(20));
        ServerProcess second = start(data);
        TestClient after = connect(second.uri("/ws"));
        assertThat(wholeHistory(after)).as("every acknowledged message, in order").isEqualTo(acked);
    }

    private ServerProcess start(Path dataDir) throws IOException {
        ServerProcess process = ServerProcess.start(Map.of(), "--host", "127.0.0.1", "--port", "0",
                "--message-rate", "0", "--data-dir", dataDir.toString());
        processes.add(process);
        process.awaitPort();
        return process;
    }

    private TestClient connect(URI ws) {
        TestClient client = TestClient.v2(ws);
        clients.add(client);
        client.nextOfType("history"); // the lobby's
        client.sendJson("type", "join", "room", ROOM);
        client.next(m -> "history".equals(str(m, "type")) && ROOM.equals(str(m, "room")));
        return client;
    }

    /** Sends a 4 KB chat and returns its ack or its error. */
    private static JsonObject chat(TestClient client, String id) {
        client.sendJson("type", "chat", "room", ROOM, "content", FOUR_KB, "clientMsgId", id, "ref", id);
        return client.next(m -> ("ack".equals(str(m, "type")) && id.equals(str(m, "clientMsgId")))
                || ("error".equals(str(m, "type")) && id.equals(str(m, "ref"))));
    }

    /** The ids of the room's whole history, oldest first, paging back from the newest. */
    private static List<String> wholeHistory(TestClient client) {
        List<String> ids = new ArrayList<>();
        long before = Long.MAX_VALUE;
        for (int page = 0; page < 100; page++) {
            String ref = "page-" + page;
            client.send("{\"type\":\"history\",\"room\":\"" + ROOM + "\","
                    + (before == Long.MAX_VALUE ? "" : "\"before\":" + before + ",")
                    + "\"limit\":200,\"ref\":\"" + ref + "\"}");
            JsonObject history = client.next(m -> "history".equals(str(m, "type")) && ref.equals(str(m, "ref")));
            List<String> older = new ArrayList<>();
            for (JsonElement e : history.getAsJsonArray("messages")) {
                older.add(str(e.getAsJsonObject(), "id"));
                before = Math.min(before, e.getAsJsonObject().get("seq").getAsLong());
            }
            ids.addAll(0, older);
            if (!history.get("hasMore").getAsBoolean() || older.isEmpty()) {
                return ids;
            }
        }
        throw new AssertionError("more than 100 pages of history");
    }

    private static boolean isRoot() throws Exception {
        Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
        String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        return id.waitFor(10, TimeUnit.SECONDS) && "0".equals(uid);
    }

    private static int run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish");
        }
        if (p.exitValue() != 0 && "mount".equals(command[0])) {
            throw new AssertionError(String.join(" ", command) + " failed: " + output);
        }
        return p.exitValue();
    }
}
