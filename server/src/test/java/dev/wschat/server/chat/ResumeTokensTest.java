package dev.wschat.server.chat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** Resume tokens: what one says comes back, and anything not signed by this key, or expired, is not valid. */
class ResumeTokensTest {
    private static final String SECRET = "a-session-secret-of-32-bytes-at-least!";
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final ResumeTokens tokens = ResumeTokens.create(SECRET, clock);

    @Test
    void aTokenSaysWhatItWasIssuedFor() {
        String token = tokens.issue("1f0c-id", "Ann \"the\" | first.", "1f0c-id", 0, Duration.ofMinutes(4));
        assertThat(token).matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
        ResumeTokens.Claims claims = tokens.verify(token).orElseThrow();
        assertThat(claims.clientId()).isEqualTo("1f0c-id");
        assertThat(claims.username()).isEqualTo("Ann \"the\" | first.");
        assertThat(claims.resumeKey()).isEqualTo("1f0c-id");
        assertThat(claims.expiresAt()).isEqualTo(NOW.plus(Duration.ofMinutes(4)));
        assertThat(claims.inboxSeq()).as("no kept direct message given yet").isZero();
        assertThat(tokens.verify(tokens.issue("1f0c-id", "Ann", "1f0c-id", 17, Duration.ofMinutes(4))).orElseThrow()
                .inboxSeq()).isEqualTo(17);
    }

    @Test
    void anotherProcessWithTheSameSecretAcceptsItOneWithAnotherDoesNot() {
        String token = tokens.issue("id", "Ann", "id", 0, Duration.ofMinutes(4));
        assertThat(ResumeTokens.create(SECRET, clock).verify(token)).isPresent();
        assertThat(ResumeTokens.create("another-session-secret-of-32-bytes!!", clock).verify(token)).isEmpty();
        assertThat(ResumeTokens.create(null, clock).verify(token)).as("a random key per process").isEmpty();
    }

    @Test
    void anExpiredTokenIsNotValid() {
        String token = tokens.issue("id", "Ann", "id", 0, Duration.ofSeconds(10));
        Clock later = Clock.fixed(NOW.plusSeconds(10), ZoneOffset.UTC);
        assertThat(ResumeTokens.create(SECRET, Clock.fixed(NOW.plusSeconds(9), ZoneOffset.UTC)).verify(token))
                .isPresent();
        assertThat(ResumeTokens.create(SECRET, later).verify(token)).isEmpty();
    }

    @Test
    void aForgedPayloadOrMacIsNotValid() {
        String token = tokens.issue("victim", "Ann", "victim", 0, Duration.ofMinutes(4));
        String mac = token.substring(token.indexOf('.') + 1);
        String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(
                ("{\"c\":\"attacker\",\"u\":\"Ann\",\"k\":\"attacker\",\"e\":" + NOW.plusSeconds(60).toEpochMilli() + "}")
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(tokens.verify(forged + "." + mac)).isEmpty();
        char flipped = mac.charAt(0) == 'A' ? 'B' : 'A';
        assertThat(tokens.verify(token.substring(0, token.indexOf('.') + 1) + flipped + mac.substring(1))).isEmpty();
        assertThat(tokens.verify(token.substring(0, token.length() - 2))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "abc", "abc.", ".abc", "a.b.c", "!!!.???", "e30.e30", "bnVsbA.AAAA",
            "eyJjIjoxfQ.AAAA", "\u0000.\u0000", "a..b"})
    void malformedInputIsInvalidAndNeverThrows(String token) {
        assertThatCode(() -> tokens.verify(token)).doesNotThrowAnyException();
        assertThat(tokens.verify(token)).isEmpty();
        assertThat(tokens.verify(null)).isEmpty();
        assertThat(tokens.verify("x".repeat(ResumeTokens.MAX_TOKEN_LENGTH + 1))).isEmpty();
    }
}
