package dev.wschat.server;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The limit settings: defaults, command-line options, validation and {@code --help}. */
class ServerConfigLimitsTest {
    @Test
    void defaultsAreTheDocumentedOnes() {
        ServerConfig c = ServerConfig.builder().build();
        assertThat(c.maxConnections()).isEqualTo(10_000);
        assertThat(c.maxConnectionsPerAddress()).isEqualTo(1_000);
        assertThat(c.connectionRate()).isEqualTo(20);
        assertThat(c.connectionBurst()).isEqualTo(100);
        assertThat(c.handshakeTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.messageRate()).isEqualTo(20);
        assertThat(c.messageBurst()).isEqualTo(40);
        assertThat(c.rateLimitStrikes()).isEqualTo(50);
        assertThat(c.maxQueuedBytes()).isEqualTo(1024 * 1024);
        assertThat(c.pingInterval()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void everyLimitHasACommandLineOption() {
        ServerConfig c = ServerConfig.fromArgs(new String[] {"--max-connections", "7", "--max-connections-per-address=6",
                "--connection-rate", "5", "--connection-burst", "9", "--handshake-timeout", "1500",
                "--message-rate", "0", "--message-burst", "4", "--rate-limit-strikes", "3",
                "--max-queued-bytes", "131072", "--ping-interval", "0"}, Map.of());
        assertThat(c.maxConnections()).isEqualTo(7);
        assertThat(c.maxConnectionsPerAddress()).isEqualTo(6);
        assertThat(c.connectionRate()).isEqualTo(5);
        assertThat(c.connectionBurst()).isEqualTo(9);
        assertThat(c.handshakeTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.messageRate()).isZero();
        assertThat(c.messageBurst()).isEqualTo(4);
        assertThat(c.rateLimitStrikes()).isEqualTo(3);
        assertThat(c.maxQueuedBytes()).isEqualTo(131_072);
        assertThat(c.pingInterval()).isZero();
        for (String option : new String[] {"--max-connections ", "--max-connections-per-address ", "--connection-rate ",
                "--connection-burst ", "--handshake-timeout ", "--message-rate ", "--message-burst ",
                "--rate-limit-strikes ", "--max-queued-bytes ", "--ping-interval "}) {
            assertThat(ServerConfig.usage()).contains(option);
        }
    }

    @Test
    void outOfRangeValuesNameTheSetting() {
        assertThatThrownBy(() -> ServerConfig.builder().maxQueuedBytes(1_000).build())
                .hasMessageContaining("maxQueuedBytes");
        assertThatThrownBy(() -> ServerConfig.builder().messageBurst(0).build()).hasMessageContaining("messageBurst");
        assertThatThrownBy(() -> ServerConfig.builder().maxConnections(-1).build())
                .hasMessageContaining("maxConnections");
        assertThatThrownBy(() -> ServerConfig.builder().handshakeTimeout(Duration.ZERO).build())
                .hasMessageContaining("handshakeTimeout");
        assertThatThrownBy(() -> ServerConfig.builder().pingInterval(Duration.ofSeconds(-1)).build())
                .hasMessageContaining("pingInterval");
    }
}
