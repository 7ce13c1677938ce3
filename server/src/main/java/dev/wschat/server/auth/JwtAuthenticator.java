package dev.wschat.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.wschat.protocol.Names;

import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Verifies signed JWTs with Nimbus JOSE+JWT: HS256 with the shared secret, RS256 and ES256 with the
 * configured public keys, then {@code exp} (required), {@code nbf}, and the issuer and audience when set.
 * Only the algorithms of the configured keys are accepted, so a token cannot pick its own ({@code none},
 * or HS256 keyed with a public key). Thread-safe. Verification is pure computation but not cheap (an ES256
 * signature costs about a millisecond of CPU), so {@link #verifyAsync} runs it on a small pool of its own,
 * keeping the event loops free for chat traffic during a reconnect storm.
 */
public final class JwtAuthenticator {
    /** Longest token accepted, in characters; longer ones are refused before parsing. */
    public static final int MAX_TOKEN_LENGTH = 8_192;
    /** Threads verifying tokens: half the processors, at least one, so chat traffic keeps the rest. */
    public static final int VERIFIER_THREADS = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

    private enum Alg {
        HS256(JWSAlgorithm.HS256), RS256(JWSAlgorithm.RS256), ES256(JWSAlgorithm.ES256);

        final JWSAlgorithm jws;

        Alg(JWSAlgorithm jws) {
            this.jws = jws;
        }
    }

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final Map<Alg, List<Key>> keys = new EnumMap<>(Alg.class);
    private final String nameClaim;
    private final ThreadPoolExecutor verifiers;
    private final int queueCapacity;

    private JwtAuthenticator(AuthSettings settings, ThreadFactory verifierThreads) {
        if (settings.jwtSecret() != null) {
            keys.put(Alg.HS256, List.of(new SecretKeySpec(settings.jwtSecret().getBytes(StandardCharsets.UTF_8),
                    "HmacSHA256")));
        }
        if (settings.jwtPublicKeyFile() != null) {
            for (PublicKey key : PemKeys.read(settings.jwtPublicKeyFile())) {
                keys.computeIfAbsent(algorithmFor(key, settings), a -> new ArrayList<>()).add(key);
            }
        }
        keys.replaceAll((alg, list) -> List.copyOf(list));
        processor.setJWSKeySelector((header, context) -> {
            for (Map.Entry<Alg, List<Key>> e : keys.entrySet()) {
                if (e.getKey().jws.equals(header.getAlgorithm())) {
                    return e.getValue();
                }
            }
            return Collections.emptyList();
        });
        JWTClaimsSet exact = settings.issuer() == null ? null
                : new JWTClaimsSet.Builder().issuer(settings.issuer()).build();
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(settings.audience(), exact,
                Set.of("sub", "exp"));
        claims.setMaxClockSkew(Math.toIntExact(settings.clockSkew().toSeconds()));
        processor.setJWTClaimsSetVerifier(claims);
        this.nameClaim = settings.nameClaim();
        this.queueCapacity = settings.queueCapacity();
        this.verifiers = new ThreadPoolExecutor(VERIFIER_THREADS, VERIFIER_THREADS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queueCapacity), verifierThreads, new ThreadPoolExecutor.AbortPolicy());
        // Idle threads end by themselves, so nothing needs shutting down when the server stops.
        verifiers.allowCoreThreadTimeOut(true);
    }

    /**
     * Creates the authenticator of the settings, reading their public key file.
     *
     * @param settings the keys and the claims to check
     * @return the authenticator, or {@code null} when authentication is off
     * @throws IllegalArgumentException when the key file cannot be read or holds an unsupported key
     */
    public static JwtAuthenticator create(AuthSettings settings) {
        AtomicInteger threadCount = new AtomicInteger();
        return create(settings, r -> {
            Thread t = new Thread(r, "wschat-jwt-" + threadCount.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Creates the authenticator with the verifier pool's threads made by {@code verifierThreads}; tests pass
     * threads they can hold, to fill the queue as a reconnect storm would.
     */
    static JwtAuthenticator create(AuthSettings settings, ThreadFactory verifierThreads) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(verifierThreads, "verifierThreads");
        return settings.enabled() ? new JwtAuthenticator(settings, verifierThreads) : null;
    }

    private static Alg algorithmFor(PublicKey key, AuthSettings settings) {
        if (key instanceof RSAPublicKey rsa) {
            if (rsa.getModulus().bitLength() < 2_048) {
                throw new IllegalArgumentException("public key file " + settings.jwtPublicKeyFile()
                        + " holds an RSA key of " + rsa.getModulus().bitLength() + " bits; RS256 needs at least 2048");
            }
            return Alg.RS256;
        }
        if (key instanceof ECPublicKey ec && Curve.P_256.equals(Curve.forECParameterSpec(ec.getParams()))) {
            return Alg.ES256;
        }
        throw new IllegalArgumentException("public key file " + settings.jwtPublicKeyFile() + " holds a "
                + key.getAlgorithm() + " key that is neither RSA (RS256) nor EC P-256 (ES256)");
    }

    /** The algorithms accepted, e.g. {@code [HS256, ES256]}. */
    public List<String> algorithms() {
        return keys.keySet().stream().map(Enum::name).toList();
    }

    /** The most verifications that may wait for a thread ({@code --auth-queue}). */
    public int queueCapacity() {
        return queueCapacity;
    }

    /** Verifications waiting for a thread now. */
    public int queued() {
        return verifiers.getQueue().size();
    }

    /**
     * Verifies a token on the verification pool.
     *
     * @param token the compact JWT, or {@code null}
     * @return completes with the identity, or with an {@link AuthenticationException} when the token is refused,
     *         or a {@link RejectedExecutionException} when {@link #queueCapacity()} are already waiting
     */
    public CompletableFuture<Identity> verifyAsync(String token) {
        CompletableFuture<Identity> result = new CompletableFuture<>();
        try {
            verifiers.execute(() -> {
                try {
                    result.complete(verify(token));
                } catch (AuthenticationException | RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(e);
        }
        return result;
    }

    /**
     * Verifies a token and reads the identity it carries.
     *
     * @param token the compact JWT, or {@code null} when the request had none
     * @return the identity
     * @throws AuthenticationException when the token is missing, malformed, badly signed, expired, not yet
     *                                 valid, or lacks a required claim; the message never contains the token
     */
    public Identity verify(String token) throws AuthenticationException {
        if (token == null || token.isEmpty()) {
            throw new AuthenticationException("no token");
        }
        if (token.length() > MAX_TOKEN_LENGTH) {
            throw new AuthenticationException("token longer than " + MAX_TOKEN_LENGTH + " characters");
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(SignedJWT.parse(token), null);
        } catch (ParseException e) {
            throw new AuthenticationException("malformed token (not a signed JWT)");
        } catch (BadJOSEException e) {
            // The library's reasons name the failed check (signature, expiry, audience...), not the token.
            throw new AuthenticationException(e.getMessage());
        } catch (JOSEException e) {
            throw new AuthenticationException("token could not be verified: " + e.getClass().getSimpleName());
        }
        String subject = claims.getSubject();
        if (subject == null || subject.isBlank() || subject.length() > Identity.MAX_SUBJECT_LENGTH) {
            throw new AuthenticationException("sub claim must have 1 to " + Identity.MAX_SUBJECT_LENGTH + " characters");
        }
        return new Identity(subject, name(claims), Instant.ofEpochMilli(claims.getExpirationTime().getTime()));
    }

    private String name(JWTClaimsSet claims) {
        Object value = claims.getClaim(nameClaim);
        if (!(value instanceof String s)) {
            return null;
        }
        String clean = Names.cleanUsername(s);
        return clean.isEmpty() ? null : clean;
    }
}
