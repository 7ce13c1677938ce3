package dev.wschat.server.redis;

import dev.wschat.server.testing.RedisServer;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.ServerProcess;
import dev.wschat.server.testing.TestClient;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ConcurrentLinkedQueue;

import static dev.wschat.server.redis.Chats.LONG;
import static dev.wschat.server.redis.Chats.acked;
import static dev.wschat.server.redis.Chats.chat;
import static dev.wschat.server.redis.Chats.join;
import static dev.wschat.server.redis.Chats.seqs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A node started while Redis is unreachable starts, says so in its log, answers 503, and is ready once Redis is. */
class RedisStartupTest {
    private static final String LOGGER = "dev.wschat.server.redis";
    private final ConcurrentLinkedQueue<String> logged = new ConcurrentLinkedQueue<>();
    private final AbstractAppender capture = new AbstractAppender("redis-capture", null, null, true,
            Property.EMPTY_ARRAY) {
        @Override
        public void append(LogEvent event) {
            logged.add(event.getLevel() + " " + event.getMessage().getFormattedMessage());
        }
    };
    private RunningServer node;
    private RedisServer redis;

    @BeforeEach
    void captureLog() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        capture.start();
        LoggerConfig logger = new LoggerConfig(LOGGER, Level.INFO, true);
        logger.addAppender(capture, Level.INFO, null);
        context.getConfiguration().addLogger(LOGGER, logger);
        context.updateLoggers();
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
        if (redis != null) {
            redis.close();
        }
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().removeLogger(LOGGER);
        context.reconfigure();
        capture.stop();
    }

    @Test
    void aNodeStartedWhileRedisIsDownStartsSaysSoAndBecomesReadyWhenRedisComes() throws Exception {
        int port = ServerProcess.freePort();
        node = Chats.node("redis://127.0.0.1:" + port);

        assertThat(node.get("/health").statusCode()).isEqualTo(200);
        assertThat(node.get("/ready").statusCode()).isEqualTo(503);
        assertThat(node.get("/ready").body()).isEqualTo("unavailable\n");
        assertThat(node.handshakeStatus()).as("new clients go to a node that can store their messages").isEqualTo(503);
        assertThat(node.metric("wschat_redis_up")).isZero();
        await().atMost(LONG).until(() -> logged.stream().anyMatch(line -> line.startsWith("WARN")
                && line.contains("cannot reach redis://127.0.0.1:" + port + "/0")
                && line.contains("/ready answers 503")));

        redis = RedisServer.startOn(port);
        await().atMost(LONG).until(() -> node.get("/ready").statusCode() == 200);
        assertThat(node.metric("wschat_redis_up")).isEqualTo(1.0);
        assertThat(logged).anyMatch(line -> line.contains("connected to redis://127.0.0.1:" + port + "/0"));

        TestClient client = node.v2();
        join(client, "dev");
        chat(client, "dev", "hello");
        await().atMost(LONG).until(() -> acked(client).contains("hello") && seqs(client, "dev").contains(1L));
    }
}
