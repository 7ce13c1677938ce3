package dev.wschat.server;

import dev.wschat.server.auth.TestTokens;
import dev.wschat.server.metrics.ServerMetrics.Reason;
import dev.wschat.server.testing.Http;
import dev.wschat.server.testing.ServerProcess;
import dev.wschat.server.testing.TestCertificates;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The real JAR as a process, configured the way an operator would: the secret in the environment, TLS and
 * the origin allow-list on the command line; and {@code /ready} on SIGTERM.
 */
class SecurityProcessIT {
    @TempDir
    Path dir;

    @Test
    void secretFromTheEnvironmentTlsAndOriginsFromTheCommandLine() throws Exception {
        TestCertificates tls = TestCertificates.generate(dir);
        HttpClient http = tls.trustingClient(TestClient.TIMEOUT);
        try (ServerProcess server = ServerProcess.start(Map.of(ServerConfig.JWT_SECRET_ENV, TestTokens.SECRET),
                "--host", "127.0.0.1", "--port", "0", "--tls-cert", tls.cert().toString(),
                "--tls-key", tls.key().toString(), "--allowed-origins", "https://chat.test", "--jwt-cookie", "wschat")) {
            String base = "localhost:" + server.awaitPort();
            URI ws = URI.create("wss://" + base + "/ws");
            String token = TestTokens.hs256("alice-42", "Alice", Duration.ofMinutes(5));

            try (TestClient alice = TestClient.to(URI.create(ws + "?token="
                    + URLEncoder.encode(token, StandardCharsets.UTF_8))).subprotocol(TestClient.V2).http(http).connect();
                 TestClient cookie = TestClient.to(ws).subprotocol(TestClient.V2).http(http)
                         .header("Cookie", "wschat=" + token).header("Origin", "https://chat.test").connect();
                 TestClient anonymous = TestClient.to(ws).subprotocol(TestClient.V2).http(http).connect()) {
                assertThat(alice.welcome().get("clientId").getAsString()).isEqualTo("alice-42");
                assertThat(cookie.welcome().get("username").getAsString()).isEqualTo("Alice");
                assertThat(anonymous.awaitClose()).isEqualTo(new TestClient.Close(4001, "Unauthorized"));
            }
            assertThat(TestClient.to(ws).subprotocol(TestClient.V2).http(http).header("Cookie", "wschat=" + token)
                    .header("Origin", "https://evil.test").handshakeStatus()).as("a foreign origin").isEqualTo(403);
            assertThat(Http.rejections(http, "https://" + base, Reason.AUTH_FAILED)).isEqualTo(1.0);
            assertThat(Http.rejections(http, "https://" + base, Reason.ORIGIN_REFUSED)).isEqualTo(1.0);

            server.terminate();
            assertThat(server.awaitExit(Duration.ofSeconds(20))).isZero();
            String output = String.join("\n", server.output());
            assertThat(output).contains("listening on wss://").doesNotContain(TestTokens.SECRET)
                    .doesNotContain(token.substring(token.lastIndexOf('.') + 1));
        }
    }

    @Test
    void sigtermTurnsReady503WhileTheUnreadyDelayRuns() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try (ServerProcess server = ServerProcess.start(Map.of(), "--host", "127.0.0.1", "--port", "0",
                "--unready-delay", "3000")) {
            URI ready = URI.create("http://127.0.0.1:" + server.awaitPort() + "/ready");
            assertThat(Http.get(http, ready).statusCode()).isEqualTo(200);
            server.terminate();
            // The signal is handled on another thread; /ready turns 503 as the drain's first step.
            HttpResponse<String> response = await().atMost(TestClient.TIMEOUT)
                    .until(() -> Http.get(http, ready), r -> r.statusCode() != 200);
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.body()).isEqualTo("draining\n");
            assertThat(server.awaitExit(Duration.ofSeconds(20))).isZero();
        }
    }

    @Test
    void aCookieWithoutAnOriginAllowListDoesNotStart() throws Exception {
        try (ServerProcess bad = ServerProcess.start(Map.of(ServerConfig.JWT_SECRET_ENV, TestTokens.SECRET),
                "--port", "0", "--jwt-cookie", "wschat")) {
            assertThat(bad.awaitExit(Duration.ofSeconds(20))).isEqualTo(2);
            assertThat(String.join("\n", bad.output())).contains("--jwt-cookie", "--allowed-origins")
                    .doesNotContain(TestTokens.SECRET);
        }
    }
}
