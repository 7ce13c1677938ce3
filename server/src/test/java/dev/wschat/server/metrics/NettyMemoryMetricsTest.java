package dev.wschat.server.metrics;

import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Netty's buffer memory as Prometheus scrapes it from {@code /metrics} of a server that has a chat going on. */
class NettyMemoryMetricsTest {
    @RegisterExtension
    final RunningServer server = RunningServer.withOptions();

    @Test
    void metricsShowTheDirectMemoryNettyHoldsForConnections() throws Exception {
        TestClient alice = server.v2();
        TestClient bob = server.v2();
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
        // This JVM runs the server, so a heap buffer from the default allocator is held by the server's allocator.
        ByteBuf held = ByteBufAllocator.DEFAULT.heapBuffer(64 * 1024);
        try {
            assertThat(samples(scrape()).get("wschat_netty_memory_used_heap_bytes")).isGreaterThanOrEqualTo(64 * 1024);
        } finally {
            held.release();
        }
    }

    private String scrape() throws Exception {
        HttpResponse<String> response = server.get("/metrics");
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
