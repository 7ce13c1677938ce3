package dev.wschat.server;

import dev.wschat.server.auth.HandshakeClient;
import dev.wschat.server.auth.TestTokens;
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
        HttpClient http = tls.trustingClient(HandshakeClient.TIMEOUT);
        try (ServerProcess server = ServerProcess.start(Map.of(ServerConfig.JWT_SECRET_ENV, TestTokens.SECRET),
                "--host", "127.0.0.1", "--port", "0", "--tls-cert", tls.cert().toString(),
                "--tls-key", tls.key().toString(), "--allowed-origins", "https://chat.test", "--jwt-cookie", "wschat")) {
            String base = "localhost:" + server.awaitPort();
            URI ws = URI.create("wss://" + base + "/ws");
            String token = TestTokens.hs256("alice-42", "Alice", Duration.ofMinutes(5));

            try (HandshakeClient alice = HandshakeClient.connect(http,
                    URI.create(ws + "?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)), Map.of());
                 HandshakeClient cookie = HandshakeClient.connect(http, ws,
                         Map.of("Cookie", "wschat=" + token, "Origin", "https://chat.test"));
                 HandshakeClient anonymous = HandshakeClient.connect(http, ws, Map.of())) {
                assertThat(alice.welcome().get("clientId").getAsString()).isEqualTo("alice-42");
                assertThat(cookie.welcome().get("username").getAsString()).isEqualTo("Alice");
                assertThat(anonymous.awaitClose()).isEqualTo(new HandshakeClient.Close(4001, "Unauthorized"));
            }
            try (HandshakeClient evil = HandshakeClient.connect(http, ws,
                    Map.of("Cookie", "wschat=" + token, "Origin", "https://evil.test"))) {
                throw new AssertionError("a foreign origin got in");
            } catch (java.net.http.WebSocketHandshakeException e) {
                assertThat(e.getResponse().statusCode()).isEqualTo(403);
            }
            assertThat(HandshakeClient.rejections(http, "https://" + base, "auth_failed")).isEqualTo(1.0);
            assertThat(HandshakeClient.rejections(http, "https://" + base, "origin_refused")).isEqualTo(1.0);

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
            assertThat(HandshakeClient.get(http, ready).statusCode()).isEqualTo(200);
            server.terminate();
            HttpResponse<String> response = HandshakeClient.get(http, ready);
            long deadline = System.nanoTime() + HandshakeClient.TIMEOUT.toNanos();
            while (response.statusCode() == 200 && System.nanoTime() < deadline) {
                response = HandshakeClient.get(http, ready);
            }
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
