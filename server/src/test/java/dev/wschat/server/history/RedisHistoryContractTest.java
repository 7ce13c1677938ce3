package dev.wschat.server.history;

import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.server.redis.RedisConnections;
import dev.wschat.server.redis.RedisHistory;
import dev.wschat.server.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@link History} contract for {@link RedisHistory} against a real {@code redis-server} (flushed before each
 * test), and what only Redis promises: the stream and keys as documented, NOSCRIPT after a restart, a flushed Redis
 * is a new epoch, and appends refused at once while Redis is down.
 */
class RedisHistoryContractTest extends HistoryContractTest {
    private static RedisServer redis;
    private static RedisClient admin;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @BeforeAll
    static void startRedis() throws IOException {
        redis = RedisServer.start();
        admin = RedisClient.create(redis.url());
    }

    @AfterAll
    static void stopRedis() {
        admin.shutdown();
        redis.close();
    }

    @BeforeEach
    void flush() throws Exception {
        if (!redis.alive()) {
            redis.restart();
        }
        try (StatefulRedisConnection<String, String> c = admin.connect()) {
            c.sync().flushall();
        }
    }

    @AfterEach
    void closeConnections() throws Exception {
        for (AutoCloseable c : resources) {
            c.close();
        }
    }

    private RedisConnections connections() {
        return connections(HistorySettings.DEFAULT_QUEUE);
    }

    private RedisConnections connections(int queue) {
        ServerMetrics metrics = new ServerMetrics();
        RedisConnections c = new RedisConnections(redis.url(), queue, metrics);
        resources.add(metrics);
        resources.add(c);
        c.start();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(c::up);
        return c;
    }

    @Override
    History create(HistorySettings settings, MutableClock clock) {
        return new RedisHistory(connections(), settings, clock);
    }

    @Override
    void retain(History history) {
        // count by MAXLEN on every append, age on every read
    }

    @Override
    boolean survivesRestart() {
        return true;
    }

    @Override
    String completionThread() {
        return null; // the command connection's Lettuce thread; the order is what the contract checks
    }

    @Override
    Path dataDir() {
        return Path.of("unused");
    }

    private StatefulRedisConnection<String, String> adminConnection() {
        StatefulRedisConnection<String, String> c = admin.connect();
        resources.add(c);
        return c;
    }

    @Test
    void aRoomIsAMetaHashAndAStreamWhoseIdsAreTheSeqs() {
        History h = open();
        for (int i = 1; i <= 3; i++) {
            append(h, "dev", "m" + i);
        }
        var sync = adminConnection().sync();
        assertThat(sync.hget("{dev}:meta", "seq")).isEqualTo("3");
        assertThat(sync.hget("{dev}:meta", "epoch")).isEqualTo(await(h.epoch("dev")));
        assertThat(sync.xrange("{dev}:stream", io.lettuce.core.Range.create("-", "+")))
                .extracting(io.lettuce.core.StreamMessage::getId).containsExactly("1-0", "2-0", "3-0");
    }

    @Test
    void pastTheQueueBoundAppendsAreRefusedAtOnceAndCounted() {
        History h = open(settings().withQueueCapacity(10));
        List<java.util.concurrent.CompletableFuture<Appended>> burst = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            burst.add(h.append(draft("dev", "m" + i), null, "a1").toCompletableFuture());
        }
        long refused = burst.stream().filter(f -> {
            try {
                f.get(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                return false;
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(HistoryUnavailableException.class)
                        .hasMessageContaining("history queue full (10 appends waiting");
                return true;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).count();
        assertThat(refused).isPositive();
        assertThat(h.refusedAppends()).isEqualTo(refused);
        assertThat(await(h.recent("dev", 500)).lastSeq()).isEqualTo(500 - refused);
    }

    @Test
    void aRedisRestartThatForgotTheScriptsIsNotAnErrorToSenders() throws Exception {
        History h = open();
        append(h, "dev", "before");
        adminConnection().sync().scriptFlush();
        assertThat(append(h, "dev", "after").message().seq()).isEqualTo(2);
        assertThat(seqs(await(h.recent("dev", 10)))).containsExactly(1L, 2L);
    }

    @Test
    void aFlushedRedisIsANewEpochStartingAtSeqOne() {
        History h = open();
        append(h, "dev", "a");
        String epoch = await(h.epoch("dev"));
        adminConnection().sync().flushall();
        assertThat(append(h, "dev", "b").message().seq()).isEqualTo(1);
        assertThat(await(h.epoch("dev"))).isNotEqualTo(epoch);
    }

    @Test
    void whileRedisIsDownAppendsFailAtOnceAndWorkAgainAfter() throws Exception {
        History h = open();
        append(h, "dev", "a");
        redis.kill();
        long started = System.nanoTime();
        assertThatThrownBy(() -> h.append(draft("dev", "b"), "c-1", "a1").toCompletableFuture()
                .get(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS))
                .hasCauseInstanceOf(HistoryUnavailableException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - started))
                .as("refused without waiting for a timeout").isLessThan(RedisConnections.COMMAND_TIMEOUT);
        assertThat(h.refusedAppends()).isEqualTo(1);
        redis.restart();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                .until(() -> await(h.append(draft("dev", "b"), "c-1", "a1")).message().seq() == 2);
        assertThat(seqs(await(h.recent("dev", 10)))).containsExactly(1L, 2L);
    }
}
