package dev.wschat.server;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The capacity settings of server-side queues and stores: defaults, command-line options, validation and help. */
class ServerConfigCapacityTest {
    @Test
    void authQueueDefaultsTo4096() {
        assertThat(ServerConfig.builder().build().authQueue()).isEqualTo(4_096).isEqualTo(ServerConfig.DEFAULT_AUTH_QUEUE);
    }

    @Test
    void authQueueIsACommandLineOption() {
        assertThat(ServerConfig.fromArgs(new String[] {"--auth-queue", "1"}, Map.of()).authQueue()).isEqualTo(1);
        assertThat(ServerConfig.fromArgs(new String[] {"--auth-queue=250"}, Map.of()).authQueue()).isEqualTo(250);
    }

    @Test
    void authQueueMustHoldOne() {
        assertThatThrownBy(() -> ServerConfig.fromArgs(new String[] {"--auth-queue", "0"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("authQueue (--auth-queue) must be at least 1: 0");
        assertThatThrownBy(() -> ServerConfig.builder().authQueue(-5).build())
                .hasMessageContaining("authQueue");
        assertThatThrownBy(() -> ServerConfig.fromArgs(new String[] {"--auth-queue", "many"}, Map.of()))
                .hasMessageContaining("--auth-queue must be an integer");
    }

    @Test
    void historyRoomsDefaultsTo10000() {
        assertThat(ServerConfig.builder().build().historyRooms()).isEqualTo(10_000)
                .isEqualTo(ServerConfig.DEFAULT_HISTORY_ROOMS);
    }

    @Test
    void historyRoomsIsACommandLineOptionAndZeroKeepsNone() {
        assertThat(ServerConfig.fromArgs(new String[] {"--history-rooms", "50"}, Map.of()).historyRooms()).isEqualTo(50);
        assertThat(ServerConfig.fromArgs(new String[] {"--history-rooms=0"}, Map.of()).historyRooms()).isZero();
    }

    @Test
    void historyRoomsCannotBeNegative() {
        assertThatThrownBy(() -> ServerConfig.fromArgs(new String[] {"--history-rooms", "-1"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("historyRooms (--history-rooms) must be at least 0: -1");
        assertThatThrownBy(() -> ServerConfig.fromArgs(new String[] {"--history-rooms", "lots"}, Map.of()))
                .hasMessageContaining("--history-rooms must be an integer");
    }

    @Test
    void usageNamesTheOptionsWithTheirDefaults() {
        assertThat(ServerConfig.usage()).containsPattern("--auth-queue N .*\\[4096\\]")
                .containsPattern("--history-rooms N .*\\[10000\\]");
    }
}
