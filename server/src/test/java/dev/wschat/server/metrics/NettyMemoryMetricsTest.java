package dev.wschat.server.metrics;

import dev.wschat.server.ChatServer;
import dev.wschat.server.ServerConfig;
import dev.wschat.server.TestClient;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Netty's buffer memory as Prometheus scrapes it from {@code /metrics} of a server that has a chat going on. */
class NettyMemoryMetricsTest {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TestClient.TIMEOUT).build();
    private ChatServer server;
    private TestClient alice;
    private TestClient bob;

    @AfterEach
    void tearDown() {
        if (alice != null) {
            alice.close();
        }
        if (bob != null) {
            bob.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void metricsShowTheDirectMemoryNettyHoldsForConnections() throws Exception {
        server = new ChatServer(ServerConfig.parse("--host", "127.0.0.1", "--port", "0")).start();
        URI ws = URI.create("ws://127.0.0.1:" + server.port() + "/ws");
        alice = TestClient.v2(ws);
        bob = TestClient.v2(ws);
        alice.nextOfType("presence");
        bob.nextOfType("presence");
        alice.sendJson("type", "chat", "room", "lobby", "content", "hello");
        assertThat(bob.nextOfType("chat").get("message").getAsString()).isEqualTo("hello");

        String body = scrape();
        Map<String, Double> samples = samples(body);

        assertThat(body).contains("# HELP wschat_netty_memory_used_direct_bytes Direct memory held by Netty");
        assertThat(samples.get("wschat_netty_memory_used_direct_bytes")).isPositive();
        // The server allocates no heap buffers of its own (sockets, HTTP, WebSocket and TLS all take direct ones).
        assertThat(body).contains("# HELP wschat_netty_memory_used_heap_bytes Heap memory held by Netty");
        assertThat(samples.get("wschat_netty_memory_used_heap_bytes")).isNotNegative();
        if (PlatformDependent.usedDirectMemory() >= 0) {
            assertThat(samples.get("wschat_netty_direct_memory_reserved_bytes")).isPositive();
        } else {
            assertThat(samples).doesNotContainKey("wschat_netty_direct_memory_reserved_bytes");
        }
    }

    @Test
    void heapGaugeFollowsTheServersAllocator() throws Exception {
        server = new ChatServer(ServerConfig.parse("--host", "127.0.0.1", "--port", "0")).start();
        // This JVM runs the server, so a heap buffer from the default allocator is held by the server's allocator.
        ByteBuf held = ByteBufAllocator.DEFAULT.heapBuffer(64 * 1024);
        try {
            assertThat(samples(scrape()).get("wschat_netty_memory_used_heap_bytes")).isGreaterThanOrEqualTo(64 * 1024);
        } finally {
            held.release();
        }
    }

    private String scrape() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/metrics")).timeout(TestClient.TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    /** Every unlabelled sample of a Prometheus text body by name. */
    private static Map<String, Double> samples(String body) {
        Map<String, Double> samples = new HashMap<>();
        for (String line : body.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#") && line.indexOf('{') < 0) {
                int space = line.lastIndexOf(' ');
                samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            }
        }
        return samples;
    }
}
