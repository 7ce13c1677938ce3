package dev.wschat.server;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.ServerProcess;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import static dev.wschat.server.testing.RunningServer.noRateLimit;
import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The real JAR killed with SIGKILL or stopped with SIGTERM in the middle of chat traffic, then restarted on the
 * same data directory: every acknowledged message is in history with its id and seq, seqs continue without a
 * gap, a client resumes with since and epoch, and an unusable data directory or database stops the start with
 * exit 2 and the file named.
 */
class HistoryDurabilityIT {
    private static final String ROOM = "dev";
    /** Chats each sender sends at most; the signal comes long before they are all sent. */
    private static final int PER_SENDER = 3_000;
    /** Between two sends of one sender: traffic lasts seconds, so the signal lands in it however fast the store is. */
    private static final long SEND_INTERVAL_NANOS = 1_000_000;
    /** Acks the senders must have between them before the signal, so traffic is in flight when it comes. */
    private static final int ACKS_BEFORE_SIGNAL = 200;

    private final List<TestClient> clients = new ArrayList<>();
    private final List<ServerProcess> processes = new ArrayList<>();

    @AfterEach
    void stop() {
        clients.forEach(TestClient::close);
        processes.forEach(ServerProcess::close);
    }

    private ServerProcess start(Path dataDir) throws Exception {
        ServerProcess process = ServerProcess.start(Map.of(), noRateLimit("--host", "127.0.0.1", "--port", "0",
                "--drain-timeout", "10000", "--data-dir", dataDir.toString()));
        processes.add(process);
        process.awaitPort();
        return process;
    }

    private TestClient connect(URI ws) {
        TestClient client = TestClient.v2(ws);
        clients.add(client);
        client.nextOfType("history"); // the lobby's
        return client;
    }

    private static JsonObject join(TestClient client) {
        client.sendJson("type", "join", "room", ROOM);
        return historyOf(client);
    }

    private static JsonObject historyOf(TestClient client) {
        return client.next(m -> "history".equals(str(m, "type")) && ROOM.equals(str(m, "room")));
    }

    private static List<JsonObject> messages(JsonObject history) {
        List<JsonObject> out = new ArrayList<>();
        for (JsonElement e : history.getAsJsonArray("messages")) {
            out.add(e.getAsJsonObject());
        }
        return out;
    }

    private static List<JsonObject> ofType(TestClient client, String type) {
        List<JsonObject> out = new ArrayList<>();
        for (String text : client.received()) {
            JsonObject m = JsonParser.parseString(text).getAsJsonObject();
            if (type.equals(str(m, "type")) && ROOM.equals(str(m, "room"))) {
                out.add(m);
            }
        }
        return out;
    }

    /** The whole history of the room, oldest first: the join's page, then pages back until there are no more. */
    private static List<JsonObject> wholeHistory(TestClient client) {
        JsonObject page = join(client);
        List<JsonObject> all = new ArrayList<>(messages(page));
        int pages = 0;
        while (page.get("hasMore").getAsBoolean() && !all.isEmpty() && pages++ < 100) {
            long before = all.get(0).get("seq").getAsLong();
            String ref = "page-" + pages;
            client.send("{\"type\":\"history\",\"room\":\"dev\",\"before\":" + before + ",\"limit\":200,\"ref\":\""
                    + ref + "\"}");
            page = client.next(m -> "history".equals(str(m, "type")) && ref.equals(str(m, "ref")));
            List<JsonObject> older = new ArrayList<>(messages(page));
            older.addAll(all);
            all = older;
        }
        return all;
    }

    /** Two senders chat with clientMsgIds and a reader reads, until the signal stops the server. */
    private final class Traffic {
        final TestClient reader;
        final List<TestClient> senders = new ArrayList<>();
        final List<Thread> threads = new ArrayList<>();
        final String epoch;

        Traffic(URI ws) {
            reader = connect(ws);
            epoch = str(join(reader), "epoch");
            for (int s = 0; s < 2; s++) {
                TestClient sender = connect(ws);
                join(sender);
                senders.add(sender);
                String prefix = "s" + s + "-";
                Thread t = new Thread(() -> {
                    for (int i = 0; i < PER_SENDER && !sender.closed().isDone(); i++) {
                        try {
                            sender.send("{\"type\":\"chat\",\"room\":\"dev\",\"content\":\"" + prefix + i
                                    + "\",\"clientMsgId\":\"" + prefix + i + "\"}");
                            java.util.concurrent.locks.LockSupport.parkNanos(SEND_INTERVAL_NANOS);
                        } catch (RuntimeException e) {
                            return; // the server went away mid-send
                        }
                    }
                }, "sender-" + s);
                t.setDaemon(true);
                threads.add(t);
            }
            threads.forEach(Thread::start);
            await().atMost(TestClient.TIMEOUT).until(() -> acks().size() >= ACKS_BEFORE_SIGNAL);
        }

        /** Every ack the senders received, by clientMsgId. */
        Map<String, JsonObject> acks() {
            Map<String, JsonObject> acks = new LinkedHashMap<>();
            for (TestClient sender : senders) {
                for (JsonObject ack : ofType(sender, "ack")) {
                    acks.put(str(ack, "clientMsgId"), ack);
                }
            }
            return acks;
        }

        void awaitDisconnected() throws InterruptedException {
            for (TestClient c : clients) {
                c.awaitClose();
            }
            for (Thread t : threads) {
                t.join(10_000);
                assertThat(t.isAlive()).as(t.getName() + " stopped").isFalse();
            }
        }
    }

    private static List<Long> range(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().toList();
    }

    /** After the restart: every acknowledged and every delivered message is kept as it was, seqs 1..K. */
    private static List<JsonObject> assertEverythingAcknowledgedIsKept(Traffic traffic, TestClient after) {
        Map<String, JsonObject> acks = traffic.acks();
        List<JsonObject> delivered = ofType(traffic.reader, "chat");
        List<JsonObject> history = wholeHistory(after);
        assertThat(history.stream().map(m -> m.get("seq").getAsLong()).toList()).as("seqs after the restart")
                .isEqualTo(range(1, history.size()));
        Map<String, JsonObject> byId = new LinkedHashMap<>();
        history.forEach(m -> byId.put(str(m, "id"), m));
        assertThat(acks).hasSizeGreaterThanOrEqualTo(ACKS_BEFORE_SIGNAL);
        assertThat(acks.size()).as("the signal came while chats were still being sent").isLessThan(2 * PER_SENDER);
        for (JsonObject ack : acks.values()) {
            JsonObject kept = byId.get(str(ack, "id"));
            assertThat(kept).as("acknowledged " + ack + " is in history").isNotNull();
            assertThat(kept.get("seq").getAsLong()).isEqualTo(ack.get("seq").getAsLong());
            assertThat(str(kept, "message")).isEqualTo(str(ack, "clientMsgId"));
        }
        for (JsonObject chat : delivered) {
            JsonObject kept = byId.get(str(chat, "id"));
            assertThat(kept).as("delivered " + chat + " is in history").isNotNull();
            assertThat(kept.get("seq").getAsLong()).isEqualTo(chat.get("seq").getAsLong());
            assertThat(str(kept, "message")).isEqualTo(str(chat, "message"));
        }
        return history;
    }

    @Test
    void sigkillMidTrafficKeepsEveryAcknowledgedMessageAndSeqsContinue() throws Exception {
        Path dataDir = RunningServer.freshDataDir();
        ServerProcess first = start(dataDir);
        Traffic traffic = new Traffic(first.uri("/ws"));

        first.close(); // SIGKILL
        first.awaitExit(Duration.ofSeconds(20));
        traffic.awaitDisconnected();

        ServerProcess second = start(dataDir);
        TestClient after = connect(second.uri("/ws"));
        List<JsonObject> history = assertEverythingAcknowledgedIsKept(traffic, after);
        long k = history.size();

        after.send("{\"type\":\"chat\",\"room\":\"dev\",\"content\":\"next\",\"clientMsgId\":\"next-1\"}");
        JsonObject ack = after.nextOfType("ack");
        assertThat(ack.get("seq").getAsLong()).as("the next message's seq").isEqualTo(k + 1);
        // The sender's own copy may come before or after its ack.
        await().atMost(TestClient.TIMEOUT).untilAsserted(() -> assertThat(ofType(after, "chat"))
                .anyMatch(m -> "next".equals(str(m, "message")) && m.get("seq").getAsLong() == k + 1));
    }

    @Test
    void sigtermMidTrafficKeepsEveryAcknowledgedMessage() throws Exception {
        Path dataDir = RunningServer.freshDataDir();
        ServerProcess first = start(dataDir);
        Traffic traffic = new Traffic(first.uri("/ws"));

        first.terminate(); // SIGTERM
        assertThat(first.awaitExit(Duration.ofSeconds(30))).as("exit code after SIGTERM").isEqualTo(0);
        traffic.awaitDisconnected();

        ServerProcess second = start(dataDir);
        TestClient after = connect(second.uri("/ws"));
        List<JsonObject> history = assertEverythingAcknowledgedIsKept(traffic, after);
        after.send("{\"type\":\"chat\",\"room\":\"dev\",\"content\":\"next\",\"clientMsgId\":\"next-1\"}");
        assertThat(after.nextOfType("ack").get("seq").getAsLong()).isEqualTo(history.size() + 1L);
    }

    @Test
    void aClientResumesAfterTheRestartWithSinceAndEpoch() throws Exception {
        Path dataDir = RunningServer.freshDataDir();
        ServerProcess first = start(dataDir);
        Traffic traffic = new Traffic(first.uri("/ws"));
        first.close(); // SIGKILL
        first.awaitExit(Duration.ofSeconds(20));
        traffic.awaitDisconnected();
        List<JsonObject> seen = ofType(traffic.reader, "chat");
        assertThat(seen).isNotEmpty();
        long s = seen.get(seen.size() - 1).get("seq").getAsLong();

        ServerProcess second = start(dataDir);
        URI ws = second.uri("/ws");
        List<JsonObject> history = wholeHistory(connect(ws));
        TestClient back = connect(ws);
        back.send("{\"type\":\"join\",\"room\":\"dev\",\"since\":" + s + ",\"epoch\":\"" + traffic.epoch + "\"}");
        JsonObject resumed = historyOf(back);
        assertThat(str(resumed, "epoch")).isEqualTo(traffic.epoch);
        assertThat(resumed.get("recovered").getAsBoolean()).as("recovered: " + str(resumed, "recovered")).isTrue();
        assertThat(messages(resumed).stream().map(m -> str(m, "id")).toList()).as("the messages after " + s)
                .isEqualTo(history.subList((int) s, history.size()).stream().map(m -> str(m, "id")).toList());

        TestClient sender = connect(ws);
        join(sender);
        sender.sendJson("type", "chat", "room", ROOM, "content", "live");
        JsonObject live = back.next(m -> "chat".equals(str(m, "type")) && ROOM.equals(str(m, "room")));
        assertThat(str(live, "message")).isEqualTo("live");
        assertThat(live.get("seq").getAsLong()).isEqualTo(history.size() + 1L);
    }

    @Test
    void aDataDirThatIsAFileStopsTheStartWithExit2AndTheFileNamed() throws Exception {
        Path file = Files.createTempFile("wschat-not-a-dir-", ".txt");
        assertRefusedNaming(file.toString(), file.toString());
    }

    @Test
    void aCorruptDatabaseStopsTheStartWithExit2AndTheFileNamed() throws Exception {
        Path dir = RunningServer.freshDataDir();
        Path db = dir.resolve("wschat.db");
        byte[] garbage = new byte[8192];
        new java.util.Random(42).nextBytes(garbage);
        Files.write(db, garbage);
        assertRefusedNaming(dir.toString(), db.toString());
    }

    private void assertRefusedNaming(String dataDir, String named) throws Exception {
        ServerProcess process = ServerProcess.start(Map.of(), "--host", "127.0.0.1", "--port", "0",
                "--data-dir", dataDir);
        processes.add(process);
        assertThat(process.awaitExit(Duration.ofSeconds(30))).as("exit code; output " + process.output())
                .isEqualTo(2);
        // The reader thread may still be draining the pipe after the exit.
        await().atMost(Duration.ofSeconds(5)).until(() -> process.output().stream().anyMatch(l -> l.contains(named)));
        assertThat(process.output()).as("no stack trace").noneMatch(l -> l.startsWith("\tat ")
                || l.matches("\\s+at [\\w.$]+\\(.*\\)") || l.startsWith("Exception in thread"));
    }
}
