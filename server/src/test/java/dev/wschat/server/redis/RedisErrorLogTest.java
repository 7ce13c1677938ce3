package dev.wschat.server.redis;

import com.google.gson.JsonObject;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.server.testing.LogCapture;
import dev.wschat.server.testing.RedisServer;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;

import static dev.wschat.server.redis.Chats.LONG;
import static dev.wschat.server.redis.Chats.chat;
import static dev.wschat.server.redis.Chats.join;
import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Regression: a command Redis answers with an error (here a key of the wrong type where a script expects a hash, a
 * sorted set or a stream) was logged as Redis being unreachable ("cannot be reached"), or only at DEBUG. The log
 * must say what Redis answered and which operation it refused, at ERROR, and not that Redis is down.
 */
class RedisErrorLogTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    /** Stops after the node (extensions stop in reverse order). */
    @RegisterExtension
    @Order(1)
    final RedisServer redis = RedisServer.beforeEachTest();
    @RegisterExtension
    @Order(2)
    final RunningServer node = RunningServer.startedByEachTest();
    private RedisClient client;
    private StatefulRedisConnection<String, String> cli;
    private LogCapture log;
    private RedisPresence presence;
    private RedisConnections connections;
    private ServerMetrics metrics;

    @BeforeEach
    void start() {
        client = RedisClient.create();
        cli = client.connect(RedisURI.create(redis.url()));
        log = LogCapture.start("dev.wschat.server.redis", Level.INFO);
    }

    @AfterEach
    void stop() {
        if (presence != null) {
            presence.close();
            connections.close();
            metrics.close();
        }
        log.close();
        cli.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    @Test
    void aPresenceScriptRedisRefusesIsLoggedWithRedisAnswerNotAsRedisUnreachable() {
        String[] keys = RedisKeys.presence("dev");
        cli.sync().set(keys[1], "not a sorted set"); // where presence keeps the room's expiry times
        metrics = new ServerMetrics();
        connections = new RedisConnections(redis.url(), 10_000, metrics);
        presence = new RedisPresence(connections, "node-a", new PresenceTimings(
                Duration.ofMillis(100), Duration.ofMillis(300), Duration.ofMillis(100)));
        connections.start();
        presence.start();
        presence.add("dev", "a1", new ServerMessage.User("u001", "ann"));

        await().atMost(WAIT).until(() -> log.lines().stream().anyMatch(line -> line.startsWith("ERROR [dev] presence:")
                && line.contains("presence-put") && line.contains("WRONGTYPE")
                && line.contains("127.0.0.1:" + redis.port())));
        assertThat(log.lines()).as("Redis answered: it was never unreachable")
                .noneMatch(line -> line.contains("cannot be reached") || line.contains("answers again"));

        cli.sync().del(keys[1]); // what the operator does once the log has said which key is wrong
        await().atMost(WAIT).until(() -> cli.sync().hkeys(keys[0]).equals(List.of("node-a:a1")));
        assertThat(log.lines()).noneMatch(line -> line.contains("cannot be reached"));
    }

    @Test
    void anAppendRedisRefusesIsLoggedWithRedisAnswerAndTheSenderGetsUnavailable() {
        node.startWith(Chats.nodeOptions(redis.url()));
        TestClient sender = node.closeLater(Chats.client(node));
        join(sender, "dev");
        cli.sync().del(RedisKeys.stream("dev"));
        cli.sync().set(RedisKeys.stream("dev"), "not a stream"); // where the room's messages go

        chat(sender, "dev", "m1");
        JsonObject error = sender.nextOfType("error");
        assertThat(str(error, "code")).isEqualTo("unavailable");
        assertThat(str(error, "ref")).isEqualTo("m1");
        await().atMost(LONG).until(() -> log.lines().stream().anyMatch(line -> line.startsWith("ERROR [dev] redis:")
                && line.contains("append") && line.contains("WRONGTYPE") && line.contains("127.0.0.1:" + redis.port())));
        assertThat(log.lines()).noneMatch(line -> line.contains("cannot reach") || line.contains("lost the"));
    }
}
