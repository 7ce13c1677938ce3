package dev.wschat.server;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Command-line and environment parsing, and validation that names the bad setting. */
class ServerConfigTest {

    @Test
    void defaultsAreTheTutorials() {
        ServerConfig config = ServerConfig.fromArgs(new String[0], Map.of());
        assertThat(config.port()).isEqualTo(8080);
        assertThat(config.host()).isEqualTo("0.0.0.0");
        assertThat(config.maxMessageBytes()).isEqualTo(65_536);
        assertThat(config.maxContentLength()).isEqualTo(4_000);
    }

    @Test
    void portComesFromTheEnvironmentAndAnOptionWins() {
        assertThat(ServerConfig.fromArgs(new String[0], Map.of("PORT", "9001")).port()).isEqualTo(9001);
        assertThat(ServerConfig.fromArgs(new String[] {"--port", "9002"}, Map.of("PORT", "9001")).port()).isEqualTo(9002);
        assertThat(ServerConfig.fromArgs(new String[] {"--port=9003"}, Map.of()).port()).isEqualTo(9003);
    }

    @Test
    void everyOptionIsRead() {
        ServerConfig config = ServerConfig.fromArgs(new String[] {"--host", "127.0.0.1", "--threads", "3",
                "--max-message-bytes", "2048", "--max-content-length", "100", "--max-rooms", "5",
                "--announce-limit", "10", "--drain-timeout", "1500", "--no-native"}, Map.of());
        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.workerThreads()).isEqualTo(3);
        assertThat(config.maxMessageBytes()).isEqualTo(2048);
        assertThat(config.maxContentLength()).isEqualTo(100);
        assertThat(config.maxRoomsPerConnection()).isEqualTo(5);
        assertThat(config.announceLimit()).isEqualTo(10);
        assertThat(config.drainTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(config.transport()).isEqualTo(Transport.NIO);
        assertThat(ServerConfig.fromArgs(new String[0], Map.of()).transport()).isEqualTo(Transport.AUTO);
        assertThat(ServerConfig.fromArgs(new String[] {"--transport", "epoll"}, Map.of()).transport())
                .isEqualTo(Transport.EPOLL);
        assertThatThrownBy(() -> ServerConfig.fromArgs(new String[] {"--transport", "kqueue"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--transport must be");
    }

    @Test
    void badValuesAreRefusedWithTheSettingsName() {
        assertThatThrownBy(() -> ServerConfig.fromArgs(new String[] {"--port", "x"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--port must be an integer");
        assertThatThrownBy(() -> ServerConfig.fromArgs(new String[0], Map.of("PORT", "-1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port must be 0..65535");
        assertThatThrownBy(() -> ServerConfig.fromArgs(new String[] {"--bogus"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown option: --bogus");
        assertThatThrownBy(() -> ServerConfig.fromArgs(new String[] {"--port"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--port needs a value");
        assertThatThrownBy(() -> ServerConfig.builder().maxMessageBytes(2048).maxContentLength(4000).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxContentLength").hasMessageContaining("maxMessageBytes");
        assertThatThrownBy(() -> ServerConfig.builder().drainTimeout(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("drainTimeout");
    }
}
