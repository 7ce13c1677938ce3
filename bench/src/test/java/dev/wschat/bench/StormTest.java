package dev.wschat.bench;

import com.google.gson.Gson;
import dev.wschat.server.ChatServer;
import dev.wschat.server.ServerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The storm scenario in blip mode against the real server in this JVM: every client's connection is reset at once
 * and every one comes back, its rooms caught up, with nothing lost or duplicated.
 */
class StormTest {
    @TempDir
    Path out;
    @TempDir
    Path data;
    private ChatServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void everyClientOfABlipComesBackWithEveryAcknowledgedMessageOnce() throws Exception {
        server = new ChatServer(ServerConfig.parse("--host", "127.0.0.1", "--port", "0", "--max-connections", "0",
                "--max-connections-per-address", "0", "--connection-rate", "0", "--message-rate", "0",
                "--data-dir", data.toString())).start();
        String url = "ws://127.0.0.1:" + server.port() + "/";
        assertThat(Bench.run("storm", "--url", url, "--out", out.toString(), "--name", "blip", "--quiet=1",
                "--clients", "200", "--rooms", "20", "--rooms-per-client", "3", "--senders", "10", "--rate", "200",
                "--mode", "blip", "--warmup", "2", "--after", "1", "--storm-timeout", "20",
                "--server-pid", Long.toString(ProcessHandle.current().pid()))).isZero();
        Map<?, ?> r = new Gson().fromJson(Files.readString(out.resolve("blip.json")), Map.class);
        assertThat(Files.readString(out.resolve("blip.html"))).contains("<svg", "Server CPU");
        assertThat(number(r, "clients_back")).isEqualTo(200);
        assertThat(number(r, "clients_not_back")).isZero();
        assertThat(number(r, "back_max_ms")).isPositive();
        assertThat(number(r, "storm_handshakes")).isGreaterThanOrEqualTo(200);
        assertThat(number(r, "messages_acked")).isGreaterThan(200);
        assertThat(number(r, "messages_unacked")).isZero();
        assertThat(number(r, "lost")).isZero();
        assertThat(number(r, "duplicates")).isZero();
        assertThat(number(r, "messages_stored_twice")).isZero();
        assertThat(number(r, "recovered_false")).isZero();
        assertThat((List<?>) r.get("rooms_with_loss_or_duplicates")).isEmpty();
        assertThat((List<?>) r.get("storm_timeline")).isNotEmpty();
    }

    static double number(Map<?, ?> r, String key) {
        assertThat(r.get(key)).as(key).isNotNull();
        return ((Number) r.get(key)).doubleValue();
    }
}
