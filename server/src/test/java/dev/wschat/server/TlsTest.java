package dev.wschat.server;

import dev.wschat.server.auth.HandshakeClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TLS from a PEM certificate and key that the test generates with {@code openssl}: {@code https://} and
 * {@code wss://} work for a client trusting that certificate (hostname verified), and nothing else gets in.
 */
class TlsTest {
    @TempDir
    static Path dir;
    static Path cert;
    static Path key;
    static HttpClient trusting;

    private ChatServer server;

    @BeforeAll
    static void generateCertificate() throws Exception {
        TestCertificates generated = TestCertificates.generate(dir);
        cert = generated.cert();
        key = generated.key();
        assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
        trusting = generated.trustingClient(HandshakeClient.TIMEOUT);
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.stop();
        }
    }

    private void start() throws InterruptedException {
        server = new ChatServer(ServerConfig.parse("--host", "127.0.0.1", "--port", "0", "--drain-timeout", "2000", "--tls-cert", cert.toString(), "--tls-key", key.toString())).start();
    }

    private static HttpClient trusting() {
        return trusting;
    }

    @Test
    void httpsServesHealthAndTheClient() throws Exception {
        start();
        HttpClient http = trusting();
        HttpResponse<String> health = HandshakeClient.get(http, URI.create("https://localhost:" + server.port() + "/health"));
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.sslSession()).isPresent();
        assertThat(health.sslSession().get().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
        HttpResponse<String> page = HandshakeClient.get(http, URI.create("https://localhost:" + server.port() + "/"));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).containsIgnoringCase("<html");
        assertThat(HandshakeClient.rejections(http, "https://localhost:" + server.port(), "auth_failed")).isZero();
    }

    @Test
    void wssCarriesTheChat() throws Exception {
        start();
        try (HandshakeClient client = HandshakeClient.connect(trusting(),
                URI.create("wss://localhost:" + server.port() + "/ws"), Map.of())) {
            assertThat(client.welcome().get("clientId").getAsString()).isNotBlank();
            client.send("{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"over TLS\"}");
            assertThat(client.next("chat").get("message").getAsString()).isEqualTo("over TLS");
        }
    }

    @Test
    void clientsNotTrustingTheCertificateOrSpeakingPlainTextGetNothing() throws Exception {
        start();
        HttpClient untrusting = HttpClient.newBuilder().connectTimeout(HandshakeClient.TIMEOUT).build();
        assertThatThrownBy(() -> HandshakeClient.get(untrusting, URI.create("https://localhost:" + server.port() + "/health")))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> HandshakeClient.get(untrusting, URI.create("http://127.0.0.1:" + server.port() + "/health")))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> HandshakeClient.connect(URI.create("ws://127.0.0.1:" + server.port() + "/ws"), Map.of()))
                .isInstanceOf(IOException.class);
    }

    @Test
    void aKeyThatIsNotPemFailsTheStartNamingBothFiles() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad-key.pem"), "not a key\n");
        ChatServer broken = new ChatServer(ServerConfig.parse("--host", "127.0.0.1", "--port", "0", "--tls-cert", cert.toString(), "--tls-key", bad.toString()));
        assertThatThrownBy(broken::start)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(cert.toString())
                .hasMessageContaining(bad.toString());
        assertThat(List.of(cert, key)).allMatch(Files::exists);
    }
}
