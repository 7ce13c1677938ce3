package dev.wschat.server.redis;

import dev.wschat.server.testing.LogCapture;
import dev.wschat.server.testing.RedisServer;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static dev.wschat.server.redis.Chats.LONG;
import static dev.wschat.server.redis.Chats.acked;
import static dev.wschat.server.redis.Chats.chat;
import static dev.wschat.server.redis.Chats.join;
import static dev.wschat.server.redis.Chats.seqs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A node started while Redis is unreachable starts, says so in its log, answers 503, and is ready once Redis is. */
class RedisStartupTest {
    /** Not started until the node has found it missing; it stops after the node. */
    @RegisterExtension
    @Order(1)
    final RedisServer redis = RedisServer.startedByTest();
    @RegisterExtension
    @Order(2)
    final RunningServer node = RunningServer.startedByEachTest();
    private LogCapture log;

    @BeforeEach
    void captureLog() {
        log = LogCapture.start("dev.wschat.server.redis", Level.INFO);
    }

    @AfterEach
    void stopCapture() {
        log.close();
    }

    @Test
    void aNodeStartedWhileRedisIsDownStartsSaysSoAndBecomesReadyWhenRedisComes() throws Exception {
        int port = redis.port();
        node.startWith(Chats.nodeOptions("redis://127.0.0.1:" + port));

        assertThat(node.get("/health").statusCode()).isEqualTo(200);
        assertThat(node.get("/ready").statusCode()).isEqualTo(503);
        assertThat(node.get("/ready").body()).isEqualTo("unavailable\n");
        assertThat(node.handshakeStatus()).as("new clients go to a node that can store their messages").isEqualTo(503);
        assertThat(node.metric("wschat_redis_up")).isZero();
        await().atMost(LONG).until(() -> log.lines().stream().anyMatch(line -> line.startsWith("WARN")
                && line.contains("cannot reach redis://127.0.0.1:" + port + "/0")
                && line.contains("/ready answers 503")));

        redis.startNow();
        await().atMost(LONG).until(() -> node.get("/ready").statusCode() == 200);
        assertThat(node.metric("wschat_redis_up")).isEqualTo(1.0);
        assertThat(log.lines()).anyMatch(line -> line.contains("connected to redis://127.0.0.1:" + port + "/0"));

        TestClient client = node.v2();
        join(client, "dev");
        chat(client, "dev", "hello");
        await().atMost(LONG).until(() -> acked(client).contains("hello") && seqs(client, "dev").contains(1L));
    }
}
