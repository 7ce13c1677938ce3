package dev.wschat.server.auth;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Who may connect and how tokens are checked, built from the server's options in one place; the ranges and the
 * rules between options are checked where the options are declared.
 *
 * @param jwtSecret        the HS256 shared secret, or {@code null}; never logged
 * @param jwtPublicKeyFile a PEM file of RSA (RS256) or EC P-256 (ES256) public keys, or {@code null}
 * @param issuer           the {@code iss} every token must carry, or {@code null} for any
 * @param audience         the audience every token must name in {@code aud}, or {@code null} for any
 * @param nameClaim        the claim holding the user's display name
 * @param clockSkew        tolerance for clock differences when checking {@code exp} and {@code nbf}
 * @param queueCapacity    token verifications that may wait for a verifier thread
 * @param cookie           the cookie a token may be read from, or {@code null} when cookies are not read
 * @param allowedOrigins   origins allowed to open WebSockets, lower case; empty allows all
 */
public record AuthSettings(String jwtSecret, Path jwtPublicKeyFile, String issuer, String audience, String nameClaim,
                           Duration clockSkew, int queueCapacity, String cookie, List<String> allowedOrigins) {

    /** Checks that the objects are there and keeps an unmodifiable copy of the origins. */
    public AuthSettings {
        Objects.requireNonNull(nameClaim, "nameClaim");
        Objects.requireNonNull(clockSkew, "clockSkew");
        allowedOrigins = List.copyOf(allowedOrigins);
    }

    /** Whether WebSocket handshakes need a valid token: a secret or a public key is configured. */
    public boolean enabled() {
        return jwtSecret != null || jwtPublicKeyFile != null;
    }

    @Override
    public String toString() {
        return "AuthSettings[jwtSecret=" + (jwtSecret == null ? "none" : "set") + ", jwtPublicKeyFile="
                + jwtPublicKeyFile + ", issuer=" + issuer + ", audience=" + audience + ", nameClaim=" + nameClaim
                + ", clockSkew=" + clockSkew + ", queueCapacity=" + queueCapacity + ", cookie=" + cookie
                + ", allowedOrigins=" + allowedOrigins + "]";
    }
}
