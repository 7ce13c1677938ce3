package dev.wschat.jmh;

import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.history.Appended;
import dev.wschat.server.history.HistorySettings;
import dev.wschat.server.history.SqliteHistory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Durable appends per second through {@link SqliteHistory} (WAL, {@code synchronous=FULL}, one writer with
 * group commit): each invocation queues {@value #BURST} messages, spread over {@code rooms} rooms, and waits
 * until the last is on disk, so a batch of the writer holds whatever queued meanwhile. The score is messages/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class HistoryAppendBenchmark {
    static final int BURST = 1_000;
    /** The writer's largest batch ({@code SqliteHistory.MAX_BATCH}): what a queue kept full by a busy server gives. */
    static final int FULL_BATCH = 4_096;
    private static final ServerMessage.User SENDER = new ServerMessage.User("bench-user", "bench");
    /** About the 200-byte rows once id, sender and timestamp are counted. */
    private static final String TEXT = "x".repeat(120);

    @Param({"1", "500"})
    public int rooms;

    /** Whether every message carries a client message id (kept for dedup, as the browser client's and the bench's do). */
    @Param({"false", "true"})
    public boolean dedup;

    private Path dir;
    private SqliteHistory history;
    private String[] roomNames;
    private long next;

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory("wschat-jmh-history");
        history = new SqliteHistory(HistorySettings.defaults(dir).withQueueCapacity(FULL_BATCH * 4));
        roomNames = new String[rooms];
        for (int i = 0; i < rooms; i++) {
            roomNames[i] = "room-" + i;
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        history.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** {@value #BURST} appends queued at once, then the wait for the last one's completion. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public Appended appendBurst() {
        return burst(BURST);
    }

    /** {@value #FULL_BATCH} at once: the writer's batches are as large as it takes them. */
    @Benchmark
    @OperationsPerInvocation(FULL_BATCH)
    public Appended appendFullBatches() {
        return burst(FULL_BATCH);
    }

    private Appended burst(int count) {
        CompletableFuture<Appended> last = null;
        for (int i = 0; i < count; i++) {
            long n = next++;
            ServerMessage.Chat draft = new ServerMessage.Chat(roomNames[(int) (n % rooms)], "bench-" + n, 0, SENDER,
                    TEXT, "2026-11-26T00:00:00.000Z");
            last = history.append(draft, dedup ? "c-" + n : null, SENDER.id()).toCompletableFuture();
        }
        return last.join();
    }
}
