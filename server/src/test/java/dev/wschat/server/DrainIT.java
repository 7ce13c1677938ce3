package dev.wschat.server;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGTERM to the real JAR while clients chat: every message the server accepted reaches every connected
 * member, every client then gets close 1001, and the process exits 0.
 */
class DrainIT {
    private static final Pattern LISTENING = Pattern.compile("wschat listening on ws://[^:]+:(\\d+)/");
    private static final int CLIENTS = 8;

    private Process process;
    private final List<WsProbe> clients = new ArrayList<>();

    private int awaitPort(Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && process.isAlive()) {
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    return Integer.parseInt(m.group(1));
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the server did not start: " + Files.readAllLines(log, StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() {
        clients.forEach(WsProbe::close);
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }

    @Test
    void sigtermDeliversEverythingAcceptedThenCloses1001AndExits0() throws Exception {
        Path jar = Path.of(System.getProperty("wschat.serverJar", "target/wschat-server.jar"));
        assertThat(jar).exists();
        Path log = Files.createTempFile("wschat-drain", ".log");
        process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "--host", "127.0.0.1", "--port", "0", "--drain-timeout", "10000")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int serverPort = awaitPort(log);

        for (int i = 0; i < CLIENTS; i++) {
            WsProbe client = WsProbe.connect(serverPort);
            clients.add(client);
            client.await(t -> t.contains("\"type\":\"presence\""));
        }
        // Every client chats at 12 messages a second (under the default rate limit) until its connection closes.
        List<Thread> senders = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            WsProbe client = clients.get(i);
            String name = "c" + i;
            Thread sender = new Thread(() -> {
                for (int n = 0; n < 10_000 && !client.closed.isDone(); n++) {
                    try {
                        client.ws().sendText("{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"" + name + "-" + n
                                + "\"}", true).get(5, TimeUnit.SECONDS);
                        Thread.sleep(80);
                    } catch (Exception e) {
                        return;
                    }
                }
            }, "sender-" + i);
            sender.setDaemon(true);
            sender.start();
            senders.add(sender);
        }
        Thread.sleep(1_500);

        process.destroy(); // SIGTERM
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("the server exits within the drain time").isTrue();
        assertThat(process.exitValue()).isEqualTo(0);
        for (WsProbe client : clients) {
            assertThat(client.awaitClose()).isEqualTo(1001);
            assertThat(client.closeReason.getNow("")).isEqualTo(ChatServer.SHUTDOWN_REASON);
        }
        for (Thread sender : senders) {
            sender.join(5_000);
        }

        List<Set<String>> received = new ArrayList<>();
        Set<String> accepted = new HashSet<>();
        for (WsProbe client : clients) {
            Set<String> ids = new HashSet<>();
            for (String text : client.texts) {
                JsonObject msg = JsonParser.parseString(text).getAsJsonObject();
                if ("chat".equals(msg.get("type").getAsString())) {
                    ids.add(msg.get("id").getAsString());
                }
            }
            received.add(ids);
            accepted.addAll(ids);
        }
        // A message the server accepted reached at least one member; it must have reached them all.
        assertThat(accepted).hasSizeGreaterThan(CLIENTS * 10);
        for (int i = 0; i < CLIENTS; i++) {
            assertThat(received.get(i)).as("chat messages received by client " + i).isEqualTo(accepted);
        }
        List<String> output = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertThat(output).anyMatch(l -> l.contains("wschat draining")).anyMatch(l -> l.contains("wschat stopped"));
        Files.delete(log);
    }
}
