package dev.wschat.server;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code --admin-port}: {@code /metrics} on its own listener only, {@code /health} and {@code /ready} on the main one. */
class AdminPortTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private ChatServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void withAnAdminPortMetricsAreServedThereAndNotOnTheMainPort() throws Exception {
        server = new ChatServer(ServerConfig.parse("--host", "127.0.0.1", "--port", "0", "--admin-port", "0",
                "--drain-timeout", "2000")).start();
        assertThat(server.adminPort()).isPositive().isNotEqualTo(server.port());

        HttpResponse<String> metrics = get(server.adminPort(), "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("text/plain; version=0.0.4"));
        assertThat(metrics.body()).contains("wschat_connections", "wschat_ready 1.0");
        assertThat(get(server.port(), "/metrics").statusCode()).isEqualTo(404);

        assertThat(get(server.port(), "/health").statusCode()).isEqualTo(200);
        assertThat(get(server.port(), "/ready").statusCode()).isEqualTo(200);
        assertThat(get(server.adminPort(), "/health").statusCode()).isEqualTo(404);
        assertThat(get(server.adminPort(), "/").statusCode()).isEqualTo(404);
        assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.adminPort() + "/metrics"))
                .timeout(TIMEOUT).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(405);
    }

    @Test
    void withoutAnAdminPortMetricsStayOnTheMainPort() throws Exception {
        server = new ChatServer(ServerConfig.parse("--host", "127.0.0.1", "--port", "0", "--drain-timeout", "2000"))
                .start();
        assertThat(get(server.port(), "/metrics").statusCode()).isEqualTo(200);
        assertThat(get(server.port(), "/health").statusCode()).isEqualTo(200);
        assertThatThrownBy(server::adminPort).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("--admin-port");
    }
}
