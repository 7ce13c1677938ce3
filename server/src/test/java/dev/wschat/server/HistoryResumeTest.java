package dev.wschat.server;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.LongStream;

import static dev.wschat.server.testing.RunningServer.noRateLimit;
import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What clients observe of history on one in-process server: a resent clientMsgId is stored once, a resume with
 * since and epoch recovers exactly the missed messages, history meets live traffic without gap or duplicate,
 * paging back, and the tutorial dialect's lobby replay.
 */
class HistoryResumeTest {
    private static final String ROOM = "dev";

    @RegisterExtension
    final RunningServer server = RunningServer.withOptions(noRateLimit());

    private static JsonObject join(TestClient client, String room) {
        client.sendJson("type", "join", "room", room);
        return historyOf(client, room);
    }

    private static JsonObject historyOf(TestClient client, String room) {
        return client.next(m -> "history".equals(str(m, "type")) && room.equals(str(m, "room")));
    }

    private static JsonObject chatIn(TestClient client, String room) {
        return client.next(m -> "chat".equals(str(m, "type")) && room.equals(str(m, "room")));
    }

    private static List<Long> seqs(JsonObject history) {
        List<Long> seqs = new ArrayList<>();
        for (JsonElement e : history.getAsJsonArray("messages")) {
            seqs.add(e.getAsJsonObject().get("seq").getAsLong());
        }
        return seqs;
    }

    private static List<String> bodies(JsonObject history) {
        List<String> bodies = new ArrayList<>();
        for (JsonElement e : history.getAsJsonArray("messages")) {
            bodies.add(e.getAsJsonObject().get("message").getAsString());
        }
        return bodies;
    }

    private static List<Long> range(long fromInclusive, long toInclusive) {
        return LongStream.rangeClosed(fromInclusive, toInclusive).boxed().toList();
    }

    /** Sends {@code count} chats to {@code room} and waits for the sender's own copy of each. */
    private static void chat(TestClient sender, String room, String prefix, int count) {
        for (int i = 0; i < count; i++) {
            sender.sendJson("type", "chat", "room", room, "content", prefix + i);
        }
        for (int i = 0; i < count; i++) {
            assertThat(str(chatIn(sender, room), "message")).isEqualTo(prefix + i);
        }
    }

    @Test
    void resentClientMsgIdIsStoredOnceAndAckedAsDuplicate() {
        TestClient sender = server.v2();
        TestClient other = server.v2();
        join(sender, ROOM);
        join(other, ROOM);

        sender.send("{\"type\":\"chat\",\"room\":\"dev\",\"content\":\"once\",\"clientMsgId\":\"m-1\"}");
        JsonObject first = sender.nextOfType("ack");
        sender.send("{\"type\":\"chat\",\"room\":\"dev\",\"content\":\"once\",\"clientMsgId\":\"m-1\"}");
        JsonObject second = sender.nextOfType("ack");
        assertThat(str(first, "clientMsgId")).isEqualTo("m-1");
        assertThat(first.has("duplicate") && first.get("duplicate").getAsBoolean()).isFalse();
        assertThat(second.get("duplicate").getAsBoolean()).isTrue();
        assertThat(str(second, "id")).isEqualTo(str(first, "id"));
        assertThat(second.get("seq").getAsLong()).isEqualTo(first.get("seq").getAsLong());

        // A later message proves the other member's stream is complete up to here: "once" came exactly once.
        chat(sender, ROOM, "after-", 1);
        JsonObject seen = chatIn(other, ROOM);
        assertThat(str(seen, "message")).isEqualTo("once");
        assertThat(str(seen, "id")).isEqualTo(str(first, "id"));
        assertThat(str(chatIn(other, ROOM), "message")).isEqualTo("after-0");

        TestClient late = server.v2();
        assertThat(bodies(join(late, ROOM))).containsExactly("once", "after-0");
    }

    @Test
    void resumeWithSinceAndEpochRecoversExactlyTheMissedMessagesThenLiveOnes() {
        TestClient sender = server.v2();
        join(sender, ROOM);
        TestClient reader = server.v2();
        JsonObject first = join(reader, ROOM);
        String epoch = str(first, "epoch");
        chat(sender, ROOM, "seen-", 5);
        long lastSeen = 0;
        for (int i = 0; i < 5; i++) {
            lastSeen = chatIn(reader, ROOM).get("seq").getAsLong();
        }
        assertThat(lastSeen).isEqualTo(5);
        reader.close();

        chat(sender, ROOM, "missed-", 7);

        TestClient back = server.v2();
        back.send("{\"type\":\"join\",\"room\":\"dev\",\"since\":" + lastSeen + ",\"epoch\":\"" + epoch + "\"}");
        JsonObject resumed = historyOf(back, ROOM);
        assertThat(resumed.get("recovered").getAsBoolean()).isTrue();
        assertThat(seqs(resumed)).isEqualTo(range(6, 12));
        assertThat(bodies(resumed)).containsExactly("missed-0", "missed-1", "missed-2", "missed-3", "missed-4",
                "missed-5", "missed-6");
        chat(sender, ROOM, "live-", 2);
        assertThat(chatIn(back, ROOM).get("seq").getAsLong()).isEqualTo(13);
        assertThat(chatIn(back, ROOM).get("seq").getAsLong()).isEqualTo(14);

        TestClient wrong = server.v2();
        wrong.send("{\"type\":\"join\",\"room\":\"dev\",\"since\":5,\"epoch\":\"not-" + epoch + "\"}");
        JsonObject refused = historyOf(wrong, ROOM);
        assertThat(refused.get("recovered").getAsBoolean()).isFalse();
        assertThat(seqs(refused)).isEqualTo(range(1, 14));
    }

    @Test
    void historyMeetsLiveWithoutGapOrDuplicateUnderConcurrentSenders() throws Exception {
        int senders = 3;
        int perSender = 150;
        int total = senders * perSender;
        List<TestClient> senderClients = new ArrayList<>();
        for (int s = 0; s < senders; s++) {
            TestClient c = server.v2();
            join(c, ROOM);
            senderClients.add(c);
        }
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int s = 0; s < senders; s++) {
            TestClient c = senderClients.get(s);
            String prefix = "s" + s + "-";
            threads.add(new Thread(() -> {
                try {
                    for (int i = 0; i < perSender; i++) {
                        c.sendJson("type", "chat", "room", ROOM, "content", prefix + i);
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            }, "sender-" + s));
        }
        // Joiners go in and out of the room while the senders send; each pass is checked up to the end.
        int joiners = 3;
        int passes = 4;
        List<List<List<Long>>> observed = new CopyOnWriteArrayList<>();
        for (int j = 0; j < joiners; j++) {
            TestClient joiner = server.v2();
            threads.add(new Thread(() -> {
                try {
                    List<List<Long>> runs = new ArrayList<>();
                    for (int p = 0; p < passes; p++) {
                        JsonObject history = join(joiner, ROOM);
                        List<Long> run = new ArrayList<>(seqs(history));
                        // Read a few live messages (or to the end on the last pass), then leave.
                        int want = p == passes - 1 ? Integer.MAX_VALUE : 20;
                        long last = run.isEmpty() ? 0 : run.get(run.size() - 1);
                        for (int k = 0; k < want && last < total; k++) {
                            last = chatIn(joiner, ROOM).get("seq").getAsLong();
                            run.add(last);
                        }
                        runs.add(run);
                        if (p < passes - 1) {
                            // What is still queued from this pass is skipped by the next join's wait for its history.
                            joiner.sendJson("type", "leave", "room", ROOM);
                        }
                    }
                    observed.add(runs);
                } catch (Throwable t) {
                    failures.add(t);
                }
            }, "joiner-" + j));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join(60_000);
            assertThat(t.isAlive()).as(t.getName() + " finished").isFalse();
        }
        assertThat(failures).isEmpty();
        assertThat(observed).hasSize(joiners);
        for (List<List<Long>> runs : observed) {
            for (List<Long> run : runs) {
                assertThat(run).isNotEmpty();
                long start = run.get(0);
                assertThat(run).as("history + live of one join").isEqualTo(range(start, start + run.size() - 1));
            }
            assertThat(runs.get(runs.size() - 1)).last().isEqualTo((long) total);
        }
    }

    @Test
    void pagingBackReturnsTheSliceBeforeAndRefusesARoomNotJoined() {
        TestClient sender = server.v2();
        join(sender, ROOM);
        chat(sender, ROOM, "m", 30);

        sender.send("{\"type\":\"history\",\"room\":\"dev\",\"before\":21,\"limit\":10,\"ref\":\"p1\"}");
        JsonObject page = sender.nextOfType("history");
        assertThat(str(page, "ref")).isEqualTo("p1");
        assertThat(seqs(page)).isEqualTo(range(11, 20));
        assertThat(page.get("hasMore").getAsBoolean()).isTrue();

        sender.send("{\"type\":\"history\",\"room\":\"dev\",\"before\":11,\"limit\":50,\"ref\":\"p2\"}");
        JsonObject oldest = sender.nextOfType("history");
        assertThat(str(oldest, "ref")).isEqualTo("p2");
        assertThat(seqs(oldest)).isEqualTo(range(1, 10));
        assertThat(bodies(oldest).get(0)).isEqualTo("m0");
        assertThat(oldest.get("hasMore").getAsBoolean()).isFalse();

        sender.send("{\"type\":\"history\",\"room\":\"elsewhere\",\"before\":5,\"limit\":10,\"ref\":\"p3\"}");
        JsonObject error = sender.nextOfType("error");
        assertThat(str(error, "code")).isEqualTo("not_in_room");
        assertThat(str(error, "ref")).isEqualTo("p3");
    }

    @Test
    void tutorialDialectGetsTheLobbysRecentMessagesAsPlainChatAfterTheWelcome() {
        TestClient sender = server.v2();
        chat(sender, "lobby", "hello-", 3);

        TestClient tutorial = server.tutorial();
        JsonObject welcome = tutorial.next();
        assertThat(str(welcome, "type")).isEqualTo("system");
        assertThat(str(welcome, "message")).startsWith("Welcome!");
        List<String> replay = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonObject m = tutorial.next();
            assertThat(str(m, "type")).as("a replayed message is plain chat: " + m).isEqualTo("chat");
            replay.add(str(m, "message"));
        }
        assertThat(replay).containsExactly("hello-0", "hello-1", "hello-2");
    }
}
