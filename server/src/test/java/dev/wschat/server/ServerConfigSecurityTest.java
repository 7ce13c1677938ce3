package dev.wschat.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The security and operations settings: defaults, command-line options, environment, and contradictions refused. */
class ServerConfigSecurityTest {
    private static final String SECRET = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    @Test
    void defaultsAreTheTutorialsOpenServer() {
        ServerConfig config = ServerConfig.builder().build();
        assertThat(config.authEnabled()).isFalse();
        assertThat(config.allowedOrigins()).isEmpty();
        assertThat(config.tlsEnabled()).isFalse();
        assertThat(config.jwtNameClaim()).isEqualTo("name");
        assertThat(config.jwtClockSkew()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.unreadyDelay()).isZero();
    }

    @Test
    void everyOptionIsReadFromTheCommandLine() throws Exception {
        Path pem = Files.writeString(dir.resolve("k.pem"), "x");
        Path cert = Files.writeString(dir.resolve("c.pem"), "x");
        Path key = Files.writeString(dir.resolve("key.pem"), "x");
        ServerConfig config = ServerConfig.fromArgs(new String[] {
                "--jwt-secret", SECRET, "--jwt-public-key", pem.toString(), "--jwt-cookie=session",
                "--jwt-issuer", "https://auth.test", "--jwt-audience", "chat", "--jwt-name-claim", "nick",
                "--jwt-clock-skew", "5", "--allowed-origins", "https://a.test, http://B.test:8080,null",
                "--tls-cert", cert.toString(), "--tls-key", key.toString(), "--unready-delay", "1500"}, Map.of());
        assertThat(config.jwtSecret()).isEqualTo(SECRET);
        assertThat(config.jwtPublicKeyFile()).isEqualTo(pem);
        assertThat(config.jwtCookie()).isEqualTo("session");
        assertThat(config.jwtIssuer()).isEqualTo("https://auth.test");
        assertThat(config.jwtAudience()).isEqualTo("chat");
        assertThat(config.jwtNameClaim()).isEqualTo("nick");
        assertThat(config.jwtClockSkew()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.allowedOrigins()).containsExactly("https://a.test", "http://b.test:8080", "null");
        assertThat(config.tlsCertFile()).isEqualTo(cert);
        assertThat(config.tlsKeyFile()).isEqualTo(key);
        assertThat(config.unreadyDelay()).isEqualTo(Duration.ofMillis(1500));
        assertThat(config.authEnabled()).isTrue();
        assertThat(config.tlsEnabled()).isTrue();
    }

    @Test
    void secretComesFromTheEnvironmentAndNeverShowsInToString() {
        ServerConfig config = ServerConfig.fromArgs(new String[0], Map.of("WSCHAT_JWT_SECRET", SECRET));
        assertThat(config.authEnabled()).isTrue();
        assertThat(config.jwtSecret()).isEqualTo(SECRET);
        assertThat(config.toString()).doesNotContain(SECRET).contains("jwtSecret=(set)");
    }

    @Test
    void cookieWithoutAnOriginAllowListIsRefusedNamingBothSettings() {
        assertThatThrownBy(() -> ServerConfig.builder().jwtSecret(SECRET).jwtCookie("session").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jwtCookie (--jwt-cookie)")
                .hasMessageContaining("allowedOrigins (--allowed-origins)");
        assertThatThrownBy(() -> ServerConfig.fromArgs(new String[] {"--jwt-cookie", "session"},
                Map.of("WSCHAT_JWT_SECRET", SECRET)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--allowed-origins");
    }

    @Test
    void contradictoryOrBadSecuritySettingsAreRefused() {
        assertThatThrownBy(() -> ServerConfig.builder().jwtSecret("short").build())
                .hasMessageContaining("at least 32 bytes");
        assertThatThrownBy(() -> ServerConfig.builder().jwtCookie("s").allowedOrigins(List.of("https://a.test")).build())
                .hasMessageContaining("need jwtSecret");
        assertThatThrownBy(() -> ServerConfig.builder().jwtPublicKeyFile(dir.resolve("missing.pem")).build())
                .hasMessageContaining("jwtPublicKeyFile (--jwt-public-key) is not a readable file");
        assertThatThrownBy(() -> ServerConfig.builder().allowedOrigins(List.of("https://a.test/")).build())
                .hasMessageContaining("allowedOrigins");
        assertThatThrownBy(() -> ServerConfig.builder().allowedOrigins(List.of("*")).build())
                .hasMessageContaining("allowedOrigins");
        assertThatThrownBy(() -> ServerConfig.builder().tlsCertFile(dir).build())
                .hasMessageContaining("tlsCertFile (--tls-cert) and tlsKeyFile (--tls-key) go together");
        assertThatThrownBy(() -> ServerConfig.builder().jwtClockSkew(Duration.ofSeconds(-1)).build())
                .hasMessageContaining("jwtClockSkew");
        assertThatThrownBy(() -> ServerConfig.builder().unreadyDelay(Duration.ofMillis(-1)).build())
                .hasMessageContaining("unreadyDelay");
        assertThatThrownBy(() -> ServerConfig.fromArgs(new String[] {"--jwt-clock-skew", "soon"}, Map.of()))
                .hasMessageContaining("--jwt-clock-skew must be an integer");
    }

    @Test
    void usageListsEverySecurityOption() {
        assertThat(ServerConfig.usage()).contains("--jwt-secret", "WSCHAT_JWT_SECRET", "--jwt-public-key", "--jwt-cookie",
                "--jwt-issuer", "--jwt-audience", "--jwt-name-claim", "--jwt-clock-skew", "--allowed-origins",
                "--tls-cert", "--tls-key", "--unready-delay");
    }
}
