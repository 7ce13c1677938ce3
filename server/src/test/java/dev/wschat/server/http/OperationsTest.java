package dev.wschat.server.http;

import dev.wschat.protocol.CloseCodes;
import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** {@code /health}, {@code /ready} and {@code /metrics} as a load balancer and Prometheus see them, through a drain. */
class OperationsTest {
    @RegisterExtension
    final RunningServer server = RunningServer.startedByEachTest();

    private void start(String... options) {
        server.startWith(options);
    }

    private HttpResponse<String> get(String path) throws IOException {
        return server.get(path);
    }

    /** Every sample of /metrics by name with labels, e.g. {@code wschat_rooms} or {@code x{reason="a"}}. */
    private Map<String, Double> metrics() throws Exception {
        HttpResponse<String> response = get("/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        Map<String, Double> samples = new HashMap<>();
        for (String line : response.body().split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                int space = line.lastIndexOf(' ');
                samples.put(line.substring(0, space).replace(",}", "}"), Double.parseDouble(line.substring(space + 1)));
            }
        }
        return samples;
    }

    @Test
    void healthAndReadyAnswer200WhileServing() throws Exception {
        start();
        HttpResponse<String> health = get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("ok\n");
        HttpResponse<String> ready = get("/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ready\n");
    }

    @Test
    void metricsCoverConnectionsRoomsTrafficRejectionsJvmAndEventLoops() throws Exception {
        start();
        try (TestClient client = server.connect()) {
            client.welcome();
            client.send("{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"hello\"}");
            client.nextOfType("chat");
            Map<String, Double> m = metrics();
            assertThat(m.get("wschat_connections")).isEqualTo(1.0);
            assertThat(m.get("wschat_connections_opened_total")).isEqualTo(1.0);
            assertThat(m.get("wschat_rooms")).isEqualTo(1.0);
            assertThat(m.get("wschat_messages_in_total")).isEqualTo(1.0);
            assertThat(m.get("wschat_bytes_in_bytes_total")).isGreaterThan(0.0);
            assertThat(m.get("wschat_deliveries_out_total")).isGreaterThanOrEqualTo(1.0);
            assertThat(m.get("wschat_socket_bytes_in_bytes_total")).isGreaterThan(m.get("wschat_bytes_in_bytes_total"));
            assertThat(m.get("wschat_socket_bytes_out_bytes_total")).isGreaterThan(0.0);
            assertThat(m.get("wschat_ready")).isEqualTo(1.0);
            assertThat(m).containsKey("wschat_eventloop_pending_tasks");
            for (ServerMetrics.Reason reason : ServerMetrics.Reason.values()) {
                assertThat(m).containsKey("wschat_rejections_total{reason=\"" + reason.tag() + "\"}");
            }
            assertThat(m.keySet()).anyMatch(k -> k.startsWith("jvm_memory_used_bytes{"));
            assertThat(m.keySet()).anyMatch(k -> k.startsWith("jvm_gc_"));
            assertThat(m.keySet()).anyMatch(k -> k.startsWith("jvm_threads_live_threads"));
        }
    }

    @Test
    void drainingTurnsReady503AtOnceAndRefusesNewConnections() throws Exception {
        start("--unready-delay", "3000");
        TestClient member = server.connect();
        member.welcome();

        CompletableFuture<Void> stopping = CompletableFuture.runAsync(server.server()::stop);
        // stop() runs on another thread; /ready turns 503 as its first step.
        HttpResponse<String> ready = await().atMost(TestClient.TIMEOUT)
                .until(() -> get("/ready"), r -> r.statusCode() != 200);
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).isEqualTo("draining\n");
        assertThat(ready.headers().firstValue("Retry-After")).isPresent();
        assertThat(get("/health").statusCode()).as("still alive while draining").isEqualTo(200);
        assertThat(server.handshakeStatus()).isEqualTo(503);
        assertThat(metrics().get("wschat_ready")).isZero();

        // The connected client is still served until the drain closes it with 1001.
        member.send("{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"still here\"}");
        assertThat(member.nextOfType("chat").get("message").getAsString()).isEqualTo("still here");
        assertThat(member.awaitCloseCode()).isEqualTo(CloseCodes.GOING_AWAY);
        stopping.get(TestClient.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertThatThrownBy(() -> get("/health")).isInstanceOf(IOException.class);
    }
}
