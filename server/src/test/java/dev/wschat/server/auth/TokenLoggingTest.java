package dev.wschat.server.auth;

import dev.wschat.server.testing.Http;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestCertificates;
import dev.wschat.server.testing.TestClient;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tokens never reach the logs, even with every wschat and Netty logger at the most verbose level. */
class TokenLoggingTest {
    private static final List<String> LOGGERS = List.of("dev.wschat", "io.netty", "com.nimbusds");

    private final ConcurrentLinkedQueue<String> logged = new ConcurrentLinkedQueue<>();
    private final AbstractAppender capture = new AbstractAppender("token-capture", null, null, true,
            Property.EMPTY_ARRAY) {
        @Override
        public void append(LogEvent event) {
            StringBuilder sb = new StringBuilder(event.getLoggerName()).append(' ')
                    .append(event.getMessage().getFormattedMessage());
            if (event.getThrown() != null) {
                StringWriter w = new StringWriter();
                event.getThrown().printStackTrace(new PrintWriter(w));
                sb.append(' ').append(w);
            }
            logged.add(sb.toString());
        }
    };
    @RegisterExtension
    final RunningServer server = RunningServer.startedByEachTest();

    @TempDir
    Path dir;

    @BeforeEach
    void captureEverything() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration config = context.getConfiguration();
        capture.start();
        for (String name : LOGGERS) {
            LoggerConfig logger = new LoggerConfig(name, Level.ALL, false);
            logger.addAppender(capture, Level.ALL, null);
            config.removeLogger(name);
            config.addLogger(name, logger);
        }
        context.updateLoggers();
    }

    @AfterEach
    void restore() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        for (String name : LOGGERS) {
            context.getConfiguration().removeLogger(name);
        }
        // The shipped configuration has its own dev.wschat and io.netty loggers; read it again.
        context.reconfigure();
        capture.stop();
    }

    @Test
    void validExpiredAndForgedTokensNeverAppearInTheLog() throws Exception {
        server.startWith("--jwt-secret", TestTokens.SECRET, "--jwt-cookie", "t",
                "--allowed-origins", "http://chat.test");
        String valid = TestTokens.hs256("alice", "Alice", Duration.ofMinutes(5));
        String expired = TestTokens.hs256("alice", "Alice", Duration.ofMinutes(-5));
        String forged = TestTokens.hs256("another-secret-0123456789-abcdefghij",
                TestTokens.claims("alice", "Alice", Duration.ofMinutes(5)).build());
        try (TestClient a = TestClient.v2(server.ws("/ws?room=x&token=" + URLEncoder.encode(valid, StandardCharsets.UTF_8)));
             TestClient b = TestClient.v2(server.ws("/ws?token=" + expired));
             TestClient c = TestClient.to(server.ws("/ws")).subprotocol(TestClient.V2)
                     .header("Authorization", "Bearer " + forged).connect();
             TestClient d = TestClient.to(server.ws("/ws")).subprotocol(TestClient.V2)
                     .header("Cookie", "t=" + valid).header("Origin", "http://chat.test").connect()) {
            a.welcome();
            d.welcome();
            assertThat(b.awaitCloseCode()).isEqualTo(4001);
            assertThat(c.awaitCloseCode()).isEqualTo(4001);
        }
        server.server().stop();

        assertThat(logged).as("the capture works: the refusals were logged at debug")
                .anyMatch(line -> line.contains("unauthorized: Expired JWT"))
                .anyMatch(line -> line.startsWith("io.netty"));
        for (String token : List.of(valid, expired, forged)) {
            String signature = token.substring(token.lastIndexOf('.') + 1);
            assertThat(logged).noneMatch(line -> line.contains(token) || line.contains(signature));
        }
    }

    @Test
    void aTokenSentInPlainTextToTheTlsPortIsNotDumpedIntoTheLog() throws Exception {
        TestCertificates tls = TestCertificates.generate(dir);
        server.startWith("--jwt-secret", TestTokens.SECRET, "--tls-cert", tls.cert().toString(),
                "--tls-key", tls.key().toString());
        String token = TestTokens.hs256("alice", "Alice", Duration.ofMinutes(5));
        String plainUrl = "http://127.0.0.1:" + server.port() + "/ws?token=" + token;
        assertThatThrownBy(() -> Http.get(URI.create(plainUrl))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> TestClient.to(URI.create("ws://127.0.0.1:" + server.port() + "/ws"))
                .subprotocol(TestClient.V2).header("Authorization", "Bearer " + token).connect())
                .isInstanceOf(UncheckedIOException.class).hasCauseInstanceOf(IOException.class);
        server.server().stop();

        assertThat(logged).as("the failed TLS was logged").anyMatch(line -> line.contains("NotSslRecordException"));
        String signature = token.substring(token.lastIndexOf('.') + 1);
        String hexSignature = HexFormat.of().formatHex(signature.getBytes(StandardCharsets.US_ASCII));
        assertThat(logged).noneMatch(line -> line.contains(signature) || line.toLowerCase().contains(hexSignature));
    }
}
