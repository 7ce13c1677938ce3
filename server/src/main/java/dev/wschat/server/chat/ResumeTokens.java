package dev.wschat.server.chat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;

/**
 * Issues and checks resume tokens: {@code base64url(payload).base64url(HMAC-SHA256(key, payload))}, the payload a
 * small JSON object with the client id, the username, the session's resume key, the last of its kept direct messages
 * it was given and the expiry. A token that is
 * malformed, signed with another key or expired is simply not valid: checking never throws.
 */
final class ResumeTokens {
    /** Longest token accepted; a real one is about 200 characters. */
    static final int MAX_TOKEN_LENGTH = 1_024;
    private static final String ALGORITHM = "HmacSHA256";
    private static final int RANDOM_KEY_BYTES = 32;
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    /**
     * What a valid token says.
     *
     * @param clientId  the session's client id
     * @param username  its username when the token was issued
     * @param resumeKey which of the user's sessions it resumes
     * @param inboxSeq  the seq of the last direct message kept for the session while it was away that it was given
     *                  (0 for none): a resume gets those after it
     * @param expiresAt when the token stops being valid
     */
    record Claims(String clientId, String username, String resumeKey, long inboxSeq, Instant expiresAt) {
        Claims {
            Objects.requireNonNull(clientId, "clientId");
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(resumeKey, "resumeKey");
            Objects.requireNonNull(expiresAt, "expiresAt");
        }
    }

    private final SecretKeySpec key;
    private final Clock clock;

    ResumeTokens(byte[] key, Clock clock) {
        Objects.requireNonNull(key, "key");
        this.key = new SecretKeySpec(key.clone(), ALGORITHM);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Tokens signed with {@code secret}, or with a random key when it is {@code null} (tokens then do not survive a
     * restart, nor work on another node).
     */
    static ResumeTokens create(String secret, Clock clock) {
        byte[] key;
        if (secret != null) {
            key = secret.getBytes(StandardCharsets.UTF_8);
        } else {
            key = new byte[RANDOM_KEY_BYTES];
            new SecureRandom().nextBytes(key);
        }
        return new ResumeTokens(key, clock);
    }

    /** A token for the session, valid for {@code lifetime} from now. */
    String issue(String clientId, String username, String resumeKey, long inboxSeq, Duration lifetime) {
        JsonObject payload = new JsonObject();
        payload.addProperty("c", clientId);
        payload.addProperty("u", username);
        payload.addProperty("k", resumeKey);
        if (inboxSeq > 0) {
            payload.addProperty("d", inboxSeq);
        }
        payload.addProperty("e", clock.instant().plus(lifetime).toEpochMilli());
        byte[] bytes = payload.toString().getBytes(StandardCharsets.UTF_8);
        return ENCODER.encodeToString(bytes) + "." + ENCODER.encodeToString(mac(bytes));
    }

    /** What the token says, or empty when it is malformed, forged, signed with another key or expired. */
    Optional<Claims> verify(String token) {
        if (token == null || token.length() > MAX_TOKEN_LENGTH) {
            return Optional.empty();
        }
        int dot = token.indexOf('.');
        if (dot <= 0 || dot != token.lastIndexOf('.')) {
            return Optional.empty();
        }
        try {
            byte[] payload = DECODER.decode(token.substring(0, dot));
            byte[] given = DECODER.decode(token.substring(dot + 1));
            if (!MessageDigest.isEqual(mac(payload), given)) {
                return Optional.empty();
            }
            JsonElement parsed = JsonParser.parseString(new String(payload, StandardCharsets.UTF_8));
            if (!parsed.isJsonObject()) {
                return Optional.empty();
            }
            JsonObject o = parsed.getAsJsonObject();
            Instant expiresAt = Instant.ofEpochMilli(o.get("e").getAsLong());
            if (!clock.instant().isBefore(expiresAt)) {
                return Optional.empty();
            }
            long inboxSeq = o.has("d") ? o.get("d").getAsLong() : 0;
            return Optional.of(new Claims(o.get("c").getAsString(), o.get("u").getAsString(),
                    o.get("k").getAsString(), inboxSeq, expiresAt));
        } catch (RuntimeException malformed) {
            // Bad base64, bad JSON, a missing or mistyped field: signed by us, so only a bug gets here; still invalid.
            return Optional.empty();
        }
    }

    private byte[] mac(byte[] payload) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac.doFinal(payload);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
