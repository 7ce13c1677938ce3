package dev.wschat.server.auth;

import dev.wschat.server.ChatServer;
import dev.wschat.server.ServerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bound on token verifications waiting for a verifier thread ({@code --auth-queue}), observed by real JDK
 * WebSocket clients against a real server: past the bound a handshake gets HTTP 503 and is counted as
 * {@code auth_queue_full}. To fill the queue deterministically the verifier threads are held by
 * {@link JwtAuthenticator#beforeVerification} until the test lets them go; the tokens and the path are real.
 */
class AuthQueueTest {
    private static final long WAIT_SECONDS = HandshakeClient.TIMEOUT.toSeconds();

    private final Semaphore entered = new Semaphore(0);
    private final CountDownLatch release = new CountDownLatch(1);
    private final ExecutorService clients = Executors.newCachedThreadPool();
    private final List<CompletableFuture<HandshakeClient>> connecting = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private ChatServer server;

    @TempDir
    Path dir;

    @AfterEach
    void tearDown() throws Exception {
        release.countDown();
        JwtAuthenticator.beforeVerification = null;
        for (CompletableFuture<HandshakeClient> c : connecting) {
            c.handle((client, error) -> {
                if (client != null) {
                    client.close();
                }
                return null;
            }).get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
        clients.shutdownNow();
        if (server != null) {
            server.stop();
        }
    }

    private void start(String... options) throws InterruptedException {
        server = new ChatServer(ServerConfig.parse(java.util.stream.Stream.of(new String[] {"--host", "127.0.0.1",
                "--port", "0", "--drain-timeout", "2000"}, options).flatMap(java.util.Arrays::stream)
                .toArray(String[]::new))).start();
    }

    /** Holds every verifier thread on its next verification until {@link #release} opens. */
    private void holdVerifiers() {
        JwtAuthenticator.beforeVerification = () -> {
            entered.release();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    private CompletableFuture<HandshakeClient> connectAsync(String token) {
        URI uri = URI.create("ws://127.0.0.1:" + server.port() + "/ws");
        CompletableFuture<HandshakeClient> f = CompletableFuture.supplyAsync(() -> {
            try {
                return HandshakeClient.connect(uri, Map.of("Authorization", "Bearer " + token));
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, clients);
        connecting.add(f);
        return f;
    }

    private CompletableFuture<HandshakeClient> connectAsync(int i) throws Exception {
        return connectAsync(TestTokens.hs256("user-" + i, "User " + i, Duration.ofMinutes(5)));
    }

    private String base() {
        return "http://127.0.0.1:" + server.port();
    }

    private double queued() throws Exception {
        String body = HandshakeClient.get(http, URI.create(base() + "/metrics")).body();
        for (String line : body.split("\n")) {
            if (line.startsWith("wschat_auth_verifications_queued ")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no wschat_auth_verifications_queued in /metrics");
    }

    /** Occupies every verifier thread with a handshake of its own; returns those handshakes. */
    private List<CompletableFuture<HandshakeClient>> occupyEveryVerifier() throws Exception {
        holdVerifiers();
        List<CompletableFuture<HandshakeClient>> holders = new ArrayList<>();
        for (int i = 0; i < JwtAuthenticator.VERIFIER_THREADS; i++) {
            holders.add(connectAsync(i));
        }
        assertThat(entered.tryAcquire(JwtAuthenticator.VERIFIER_THREADS, WAIT_SECONDS, TimeUnit.SECONDS))
                .as("every verifier thread holds a handshake").isTrue();
        return holders;
    }

    private static void assertWelcomed(List<CompletableFuture<HandshakeClient>> handshakes) throws Exception {
        for (CompletableFuture<HandshakeClient> f : handshakes) {
            HandshakeClient client = f.get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertThat(client.welcome().get("clientId").getAsString()).startsWith("user-");
        }
    }

    @Test
    void pastAQueueOfOneAHandshakeGets503AndIsCounted() throws Exception {
        start("--jwt-secret", TestTokens.SECRET, "--auth-queue", "1");
        List<CompletableFuture<HandshakeClient>> holders = occupyEveryVerifier();

        CompletableFuture<HandshakeClient> first = connectAsync(100);
        CompletableFuture<HandshakeClient> second = connectAsync(101);
        // Every thread is held: whichever arrives first takes the one queue slot, the other is refused at once.
        CompletableFuture.anyOf(first, second).handle((r, e) -> null).get(WAIT_SECONDS, TimeUnit.SECONDS);
        CompletableFuture<HandshakeClient> refused = first.isDone() ? first : second;
        CompletableFuture<HandshakeClient> waiting = refused == first ? second : first;
        assertThat(refused).isCompletedExceptionally();
        Throwable cause = refused.handle((c, e) -> e instanceof CompletionException ? e.getCause() : e).get();
        assertThat(cause).isInstanceOf(WebSocketHandshakeException.class);
        WebSocketHandshakeException busy = (WebSocketHandshakeException) cause;
        assertThat(busy.getResponse().statusCode()).isEqualTo(503);
        assertThat(busy.getResponse().headers().firstValue("Retry-After")).hasValue("1");
        assertThat(waiting).as("the queued handshake waits for a thread").isNotDone();
        assertThat(queued()).isEqualTo(1.0);
        assertThat(HandshakeClient.rejections(http, base(), "auth_queue_full")).isEqualTo(1.0);
        assertThat(HandshakeClient.rejections(http, base(), "auth_failed")).isZero();

        release.countDown();
        holders.add(waiting);
        assertWelcomed(holders);
        assertThat(HandshakeClient.rejections(http, base(), "auth_queue_full")).isEqualTo(1.0);
    }

    @Test
    void theDefaultQueueHoldsTheSameHandshakes() throws Exception {
        start("--jwt-secret", TestTokens.SECRET);
        List<CompletableFuture<HandshakeClient>> handshakes = occupyEveryVerifier();

        handshakes.add(connectAsync(100));
        handshakes.add(connectAsync(101));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (queued() < 2.0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(queued()).as("both handshakes wait in the queue").isEqualTo(2.0);
        assertThat(HandshakeClient.rejections(http, base(), "auth_queue_full")).isZero();

        release.countDown();
        assertWelcomed(handshakes);
        assertThat(HandshakeClient.rejections(http, base(), "auth_queue_full")).isZero();
        assertThat(queued()).isZero();
    }

    @Test
    void aBurstOfEs256HandshakesFitsTheDefaultQueue() throws Exception {
        KeyPair keys = TestTokens.ec();
        start("--jwt-public-key", TestTokens.pem(dir.resolve("keys.pem"), keys.getPublic()).toString());
        List<CompletableFuture<HandshakeClient>> handshakes = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            handshakes.add(connectAsync(TestTokens.es256(keys,
                    TestTokens.claims("user-" + i, "User " + i, Duration.ofMinutes(5)).build())));
        }
        assertWelcomed(handshakes);
        assertThat(HandshakeClient.rejections(http, base(), "auth_queue_full")).isZero();
    }
}
