package dev.wschat.server.history;

import dev.wschat.protocol.ServerMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An acknowledged append survives {@code kill -9}: a child JVM appends in a loop and prints every completed
 * seq; it is killed (SIGKILL) mid-traffic, and every message it acknowledged is in the database with the same
 * id and seq, and appending continues at the next seq.
 */
class SqliteHistoryKillTest {
    private static final int ACKS_BEFORE_KILL = 500;

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedAppendSurvivesKillNine() throws Exception {
        Path data = dir.resolve("data");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        // The shipped logging (to the child's output): log4j2-test.xml would truncate this JVM's test log.
        Process child = new ProcessBuilder(java.toString(), "-Dlog4j2.configurationFile=log4j2.xml",
                "-cp", System.getProperty("java.class.path"), KillNineChild.class.getName(), data.toString())
                .redirectErrorStream(true).start();
        Map<Long, String> acked = new LinkedHashMap<>();
        StringBuilder other = new StringBuilder();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while (acked.size() < ACKS_BEFORE_KILL && System.nanoTime() < deadline && (line = out.readLine()) != null) {
                if (line.startsWith("ack ")) {
                    String[] parts = line.split(" ");
                    acked.put(Long.parseLong(parts[1]), parts[2]);
                } else if (other.length() < 4_000) {
                    other.append(line).append('\n');
                }
            }
            assertThat(acked).as("acks from the child; its other output:%n%s", other).hasSize(ACKS_BEFORE_KILL);
            assertThat(child.isAlive()).as("killed mid-traffic, not after it finished").isTrue();
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(acked.keySet()).as("acks in seq order").startsWith(1L, 2L, 3L);

        try (SqliteHistory history = new SqliteHistory(HistorySettings.defaults(data).withMaxMessagesPerRoom(0))) {
            Page page = history.after("kill", 0, 10_000_000).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertThat(page.complete()).isTrue();
            List<ServerMessage.Chat> stored = page.messages();
            assertThat(stored.size()).isGreaterThanOrEqualTo(acked.size());
            for (int i = 0; i < stored.size(); i++) {
                assertThat(stored.get(i).seq()).as("no gaps").isEqualTo(i + 1);
            }
            for (Map.Entry<Long, String> ack : acked.entrySet()) {
                assertThat(stored.get((int) (ack.getKey() - 1)).id()).as("seq %d", ack.getKey()).isEqualTo(ack.getValue());
            }
            ServerMessage.Chat next = history.append(new ServerMessage.Chat("kill", "after-kill", 0,
                            new ServerMessage.User("u1", "test"), "after", "2026-11-26T00:00:00.000Z"), null, "u1")
                    .toCompletableFuture().get(30, TimeUnit.SECONDS).message();
            assertThat(next.seq()).isEqualTo(stored.size() + 1);
        }
    }

}
