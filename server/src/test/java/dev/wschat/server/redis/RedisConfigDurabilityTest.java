package dev.wschat.server.redis;

import dev.wschat.server.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code deploy/redis.conf} keeps what Redis acknowledged across a {@code kill -9} (AOF, appendfsync always). */
class RedisConfigDurabilityTest {

    @Test
    void acknowledgedWritesSurviveKill9() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            RedisClient client = RedisClient.create(redis.url());
            try (StatefulRedisConnection<String, String> connection = client.connect()) {
                RedisCommands<String, String> commands = connection.sync();
                assertThat(commands.configGet("appendfsync")).containsEntry("appendfsync", "always");
                for (int i = 1; i <= 200; i++) {
                    commands.xadd("{dev}:stream", java.util.Map.of("n", Integer.toString(i)));
                }
            }
            redis.kill();
            redis.restart();
            try (StatefulRedisConnection<String, String> connection = client.connect()) {
                assertThat(connection.sync().xlen("{dev}:stream")).isEqualTo(200L);
            } finally {
                client.shutdown();
            }
        }
    }
}
