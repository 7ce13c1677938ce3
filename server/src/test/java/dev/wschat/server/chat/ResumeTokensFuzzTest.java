package dev.wschat.server.chat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.wschat.testkit.FuzzInputs;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What a stranger sends as a resume token, fuzzed: any text, and any payload signed with the server's own key (so the
 * fuzzer gets past the signature to the parsing behind it), is a valid token's claims or simply not valid; checking
 * never throws, and is quick. docs/fuzzing.md has the longer, coverage-guided run.
 */
class ResumeTokensFuzzTest {
    private static final byte[] KEY = "fuzzing-key-fuzzing-key-fuzzing!".getBytes(StandardCharsets.UTF_8);
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final ResumeTokens TOKENS = new ResumeTokens(KEY, Clock.fixed(NOW, ZoneOffset.UTC));
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** A token's alphabet and separator, its payload's JSON and fields, and bytes that are not UTF-8. */
    private static final FuzzInputs INPUTS = FuzzInputs.withTokens(".", "=", "-", "_", "{", "}", "\"", ":", "\"e\":",
            "\"c\":", "9223372036854775807", "\ud83d\ude00", "\uffff").andBytes("\u00e9", "\u0080", "\u00ff");

    @FuzzTest(maxDuration = "10m")
    void verify(byte[] data) {
        long start = System.nanoTime();
        checks(new String(data, StandardCharsets.UTF_8));
        checks(B64.encodeToString(data) + "." + B64.encodeToString(sign(data)));
        long took = System.nanoTime() - start;
        if (took > MAX_NANOS) {
            throw new AssertionError(data.length + " bytes took " + TimeUnit.NANOSECONDS.toMillis(took) + " ms");
        }
    }

    @Test
    void mutationsOfTheCorpus() {
        INPUTS.run(ResumeTokensFuzzTest.class, "verify", this::verify);
    }

    @Test
    void theCorpusHoldsATokenThatIsValid() {
        // the seeds reach the claims, not only the refusals
        String payload = new String(FuzzInputs.corpus(ResumeTokensFuzzTest.class, "verify").get(0),
                StandardCharsets.UTF_8);
        byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
        Optional<ResumeTokens.Claims> claims = TOKENS.verify(B64.encodeToString(bytes) + "." + B64.encodeToString(
                sign(bytes)));
        if (claims.isEmpty()) {
            throw new AssertionError("the first seed should be a valid payload: " + payload);
        }
    }

    private static void checks(String token) {
        Optional<ResumeTokens.Claims> claims = TOKENS.verify(token);
        if (claims == null) {
            throw new AssertionError("verify gave null");
        }
        claims.ifPresent(c -> {
            if (!NOW.isBefore(c.expiresAt())) {
                throw new AssertionError("an expired token was valid: " + c);
            }
        });
    }

    private static byte[] sign(byte[] payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
            return mac.doFinal(payload);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
