package dev.wschat.server.auth;

import dev.wschat.server.ServerConfig;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

import static org.assertj.core.api.Assertions.assertThat;

/** JwtAuthenticator's verifier pool with real tokens: verifications wait in a bounded queue, past it they are refused. */
class JwtAuthenticatorTest {
    private final HeldVerifiers threads = new HeldVerifiers();

    @AfterEach
    void releaseThreads() {
        threads.release();
    }

    private JwtAuthenticator authenticator(String... options) {
        List<String> args = new ArrayList<>(List.of("--jwt-secret", TestTokens.SECRET));
        args.addAll(List.of(options));
        return JwtAuthenticator.create(ServerConfig.parse(args.toArray(String[]::new)).authSettings(), threads);
    }

    private static String token(int i) throws Exception {
        return TestTokens.hs256("user-" + i, "User " + i, Duration.ofMinutes(5));
    }

    /** Gives every verifier thread a verification of its own, held until released. */
    private List<CompletableFuture<Identity>> occupyEveryThread(JwtAuthenticator auth) throws Exception {
        List<CompletableFuture<Identity>> holders = new ArrayList<>();
        for (int i = 0; i < JwtAuthenticator.VERIFIER_THREADS; i++) {
            holders.add(auth.verifyAsync(token(i)));
        }
        assertThat(threads.awaitHeld(JwtAuthenticator.VERIFIER_THREADS)).as("every verifier thread is held").isTrue();
        return holders;
    }

    private static void assertVerified(List<CompletableFuture<Identity>> verifications) {
        for (CompletableFuture<Identity> f : verifications) {
            assertThat(f).succeedsWithin(TestClient.TIMEOUT)
                    .satisfies(identity -> assertThat(identity.subject()).startsWith("user-"));
        }
    }

    @Test
    void theDefaultQueueHoldsVerificationsWhileEveryThreadIsBusy() throws Exception {
        JwtAuthenticator auth = authenticator();
        assertThat(auth.queueCapacity()).isEqualTo(4_096);
        List<CompletableFuture<Identity>> verifications = occupyEveryThread(auth);
        verifications.add(auth.verifyAsync(token(100)));
        verifications.add(auth.verifyAsync(token(101)));
        assertThat(auth.queued()).isEqualTo(2);
        assertThat(verifications).noneMatch(CompletableFuture::isDone);

        threads.release();
        assertVerified(verifications);
        assertThat(auth.queued()).isZero();
    }

    @Test
    void pastAQueueOfOneAVerificationIsRefusedAtOnce() throws Exception {
        JwtAuthenticator auth = authenticator("--auth-queue", "1");
        List<CompletableFuture<Identity>> verifications = occupyEveryThread(auth);
        CompletableFuture<Identity> waiting = auth.verifyAsync(token(100));
        CompletableFuture<Identity> refused = auth.verifyAsync(token(101));
        assertThat(refused).isCompletedExceptionally();
        assertThat(refused).failsWithin(Duration.ZERO).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(RejectedExecutionException.class);
        assertThat(waiting).as("the queued verification waits for a thread").isNotDone();
        assertThat(auth.queued()).isEqualTo(1);

        threads.release();
        verifications.add(waiting);
        assertVerified(verifications);
    }

    @Test
    void aForgedOrExpiredTokenFailsWithAReasonThatDoesNotContainIt() throws Exception {
        threads.release();
        JwtAuthenticator auth = authenticator();
        String forged = TestTokens.hs256("another-secret-0123456789-abcdefghij",
                TestTokens.claims("alice", "Alice", Duration.ofMinutes(5)).build());
        String expired = TestTokens.hs256("alice", "Alice", Duration.ofMinutes(-5));
        for (String token : List.of(forged, expired)) {
            assertThat(auth.verifyAsync(token)).failsWithin(TestClient.TIMEOUT)
                    .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .withCauseInstanceOf(AuthenticationException.class)
                    .satisfies(e -> assertThat(e.getCause().getMessage()).doesNotContain(token));
        }
        assertThat(auth.verify(token(7)).name()).isEqualTo("User 7");
    }
}
