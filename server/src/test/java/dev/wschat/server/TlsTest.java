package dev.wschat.server;

import dev.wschat.server.metrics.ServerMetrics.Reason;
import dev.wschat.server.testing.Http;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestCertificates;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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

    @RegisterExtension
    final RunningServer server = RunningServer.startedByEachTest();

    @BeforeAll
    static void generateCertificate() throws Exception {
        TestCertificates generated = TestCertificates.generate(dir);
        cert = generated.cert();
        key = generated.key();
        assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
        trusting = generated.trustingClient(TestClient.TIMEOUT);
    }

    private void start() {
        server.startWith("--tls-cert", cert.toString(), "--tls-key", key.toString());
    }

    private static HttpClient trusting() {
        return trusting;
    }

    @Test
    void httpsServesHealthAndTheClient() throws Exception {
        start();
        HttpClient http = trusting();
        HttpResponse<String> health = server.get(http, "/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.sslSession()).isPresent();
        assertThat(health.sslSession().get().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
        HttpResponse<String> page = server.get(http, "/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).containsIgnoringCase("<html");
        assertThat(Http.rejections(http, server.base(), Reason.AUTH_FAILED)).isZero();
    }

    @Test
    void wssCarriesTheChat() throws Exception {
        start();
        try (TestClient client = TestClient.to(server.ws("/ws")).subprotocol(TestClient.V2).http(trusting())
                .connect()) {
            assertThat(client.welcome().get("clientId").getAsString()).isNotBlank();
            client.send("{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"over TLS\"}");
            assertThat(client.nextOfType("chat").get("message").getAsString()).isEqualTo("over TLS");
        }
    }

    @Test
    void clientsNotTrustingTheCertificateOrSpeakingPlainTextGetNothing() throws Exception {
        start();
        HttpClient untrusting = HttpClient.newBuilder().connectTimeout(TestClient.TIMEOUT).build();
        assertThatThrownBy(() -> server.get(untrusting, "/health")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> Http.get(untrusting, URI.create("http://127.0.0.1:" + server.port() + "/health")))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> TestClient.v2(URI.create("ws://127.0.0.1:" + server.port() + "/ws")))
                .isInstanceOf(UncheckedIOException.class).hasCauseInstanceOf(IOException.class);
    }

    @Test
    void aKeyThatIsNotPemFailsTheStartNamingBothFiles() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad-key.pem"), "not a key\n");
        ChatServer broken = new ChatServer(ServerConfig.parse("--host", "127.0.0.1", "--port", "0",
                "--tls-cert", cert.toString(), "--tls-key", bad.toString()));
        assertThatThrownBy(broken::start)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(cert.toString())
                .hasMessageContaining(bad.toString());
        assertThat(List.of(cert, key)).allMatch(Files::exists);
    }
}
