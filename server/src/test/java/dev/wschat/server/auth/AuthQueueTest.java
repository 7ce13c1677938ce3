package dev.wschat.server.auth;

import dev.wschat.server.metrics.ServerMetrics.Reason;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bound on token verifications waiting for a verifier thread ({@code --auth-queue}) against a real server:
 * a burst of ES256 handshakes, each about a millisecond of CPU, fits the default queue. What happens past the
 * bound (HTTP 503, {@code auth_queue_full}) is pinned by {@link HandshakeGuardTest} and {@link JwtAuthenticatorTest},
 * where the verifier threads can be held.
 */
class AuthQueueTest {
    private final ExecutorService clients = Executors.newCachedThreadPool();
    @RegisterExtension
    final RunningServer server = RunningServer.startedByEachTest();

    @TempDir
    Path dir;

    @AfterEach
    void tearDown() {
        clients.shutdownNow();
    }

    @Test
    void aBurstOfEs256HandshakesFitsTheDefaultQueue() throws Exception {
        KeyPair keys = TestTokens.ec();
        server.startWith("--jwt-public-key", TestTokens.pem(dir.resolve("keys.pem"), keys.getPublic())
                .toString());
        List<CompletableFuture<TestClient>> handshakes = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            String token = TestTokens.es256(keys, TestTokens.claims("user-" + i, "User " + i, Duration.ofMinutes(5))
                    .build());
            handshakes.add(CompletableFuture.supplyAsync(() -> server.connect(TestClient.to(
                    server.ws("/ws?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)))
                    .subprotocol(TestClient.V2)), clients));
        }
        for (CompletableFuture<TestClient> f : handshakes) {
            TestClient client = f.get(TestClient.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(client.welcome().get("clientId").getAsString()).startsWith("user-");
        }
        assertThat(server.rejections(Reason.AUTH_QUEUE_FULL)).isZero();
    }
}
