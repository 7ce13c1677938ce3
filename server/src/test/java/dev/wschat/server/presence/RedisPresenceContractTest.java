package dev.wschat.server.presence;

import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.server.redis.PresenceTimings;
import dev.wschat.server.redis.RedisConnections;
import dev.wschat.server.redis.RedisPresence;
import dev.wschat.server.testing.RedisServer;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * RedisPresence: the {@link Presence} contract against a real redis-server; a fresh node id per test, so each test
 * sees an empty presence (page() answers from the node's view, synchronously, as the contract asks).
 */
class RedisPresenceContractTest extends PresenceContractTest {
    private static final AtomicInteger NODES = new AtomicInteger();
    private static RedisServer redis;
    private static RedisClient client;
    private final List<RedisPresence> opened = new ArrayList<>();
    private final List<RedisConnections> connections = new ArrayList<>();
    private final ServerMetrics metrics = new ServerMetrics();

    @BeforeAll
    static void startRedis() throws IOException {
        redis = RedisServer.start();
        client = RedisClient.create();
        client.setOptions(ClientOptions.builder().requestQueueSize(10_000)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
    }

    @AfterAll
    static void stopRedis() {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        redis.close();
    }

    @Override
    Presence create() {
        // a room per test would do too; a node per test also leaves no member of an earlier test behind
        RedisConnections node = new RedisConnections(redis.url(), 10_000, metrics);
        connections.add(node);
        RedisPresence p = new RedisPresence(node, "contract-" + NODES.incrementAndGet(), PresenceTimings.DEFAULTS);
        node.start();
        p.start();
        opened.add(p);
        return p;
    }

    @AfterEach
    void close() {
        opened.forEach(RedisPresence::close);
        connections.forEach(RedisConnections::close);
        metrics.close();
        try (var connection = client.connect(RedisURI.create(redis.url()))) {
            connection.sync().flushall(); // what the closed node left listed would otherwise show in the next test
        }
    }
}
