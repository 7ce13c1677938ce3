package dev.wschat.server.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

/** Mints tokens for tests with the same library the server verifies them with (Nimbus JOSE+JWT). */
public final class TestTokens {
    /** A 32-byte HS256 secret. */
    public static final String SECRET = "test-secret-0123456789-abcdefghijkl";

    private TestTokens() {
    }

    /** Claims for {@code sub} and {@code name}, expiring after {@code ttl}. */
    public static JWTClaimsSet.Builder claims(String sub, String name, Duration ttl) {
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().subject(sub)
                .issueTime(new Date()).expirationTime(Date.from(Instant.now().plus(ttl)));
        if (name != null) {
            b.claim("name", name);
        }
        return b;
    }

    /** An HS256 token signed with {@code secret}. */
    public static String hs256(String secret, JWTClaimsSet claims) throws Exception {
        return sign(JWSAlgorithm.HS256, new MACSigner(secret.getBytes(StandardCharsets.UTF_8)), claims);
    }

    /** An HS256 token signed with {@link #SECRET}. */
    public static String hs256(String sub, String name, Duration ttl) throws Exception {
        return hs256(SECRET, claims(sub, name, ttl).build());
    }

    /** An RS256 token. */
    public static String rs256(KeyPair keys, JWTClaimsSet claims) throws Exception {
        return sign(JWSAlgorithm.RS256, new RSASSASigner(keys.getPrivate()), claims);
    }

    /** An ES256 token. */
    public static String es256(KeyPair keys, JWTClaimsSet claims) throws Exception {
        return sign(JWSAlgorithm.ES256, new ECDSASigner((ECPrivateKey) keys.getPrivate()), claims);
    }

    private static String sign(JWSAlgorithm alg, JWSSigner signer, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(alg), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    /** A fresh 2048-bit RSA key pair. */
    public static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2_048);
        return g.generateKeyPair();
    }

    /** A fresh EC P-256 key pair. */
    public static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    /** Writes public keys as one PEM file of PUBLIC KEY blocks. */
    public static Path pem(Path file, PublicKey... keys) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (PublicKey key : keys) {
            sb.append("-----BEGIN PUBLIC KEY-----\n")
                    .append(Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                            .encodeToString(key.getEncoded()))
                    .append("\n-----END PUBLIC KEY-----\n");
        }
        return Files.writeString(file, sb.toString(), StandardCharsets.US_ASCII);
    }

    /** An unsigned token ({@code alg: none}) claiming to be {@code sub}. */
    public static String unsigned(String sub) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8));
        long exp = Instant.now().plusSeconds(600).getEpochSecond();
        String payload = b64.encodeToString(("{\"sub\":\"" + sub + "\",\"exp\":" + exp + "}")
                .getBytes(StandardCharsets.UTF_8));
        return header + "." + payload + ".";
    }
}
