package dev.wschat.server;

import dev.wschat.server.chat.DmPolicy;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every option as a user gives it (command line, environment, {@code --config} file), one case per row: the value
 * it yields, or the message that refuses it, naming the option as the user gave it.
 */
class ServerConfigTest {
    private static final String SECRET = "0123456789abcdef0123456789abcdef";
    private static final ServerConfig DEFAULTS = ServerConfig.parse();

    @TempDir
    Path dir;

    /**
     * One row: options, environment and config file content in; a value ({@code read} applied to the configuration)
     * or an error message out. {@code {dir}} in arguments, environment and messages is the test's directory, which
     * holds readable files {@code k.pem}, {@code c.pem} and {@code key.pem}; {@code {file}} is the config file.
     */
    record Case(String name, List<String> args, Map<String, String> env, String file,
                Function<ServerConfig, Object> read, Object expected, String error) {
        Case env(String key, String value) {
            Map<String, String> e = new HashMap<>(env);
            e.put(key, value);
            return new Case(name, args, Map.copyOf(e), file, read, expected, error);
        }

        Case file(String content) {
            return new Case(name, args, env, content, read, expected, error);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static Case value(String name, Function<ServerConfig, Object> read, Object expected, String... args) {
        return new Case(name, List.of(args), Map.of(), null, read, expected, null);
    }

    private static Case error(String name, String message, String... args) {
        return new Case(name, List.of(args), Map.of(), null, null, null, message);
    }

    static Stream<Case> cases() {
        return Stream.of(
                // Defaults: the tutorial's open server.
                value("default port", ServerConfig::port, 8080),
                value("default host", ServerConfig::host, "0.0.0.0"),
                value("default threads", ServerConfig::workerThreads, 0),
                value("default transport", ServerConfig::transport, Transport.AUTO),
                value("default max message bytes", ServerConfig::maxMessageBytes, 65_536),
                value("default max content length", ServerConfig::maxContentLength, 4_000),
                value("default max rooms", ServerConfig::maxRoomsPerConnection, 50),
                value("default announce limit", ServerConfig::announceLimit, 1_000),
                value("default max connections", ServerConfig::maxConnections, 10_000),
                value("default max pending handshakes", ServerConfig::maxPendingHandshakes, 1_000),
                value("default max connections per address", ServerConfig::maxConnectionsPerAddress, 1_000),
                value("default connection rate", ServerConfig::connectionRate, 20),
                value("default connection burst", ServerConfig::connectionBurst, 100),
                value("default handshake timeout", ServerConfig::handshakeTimeout, Duration.ofSeconds(10)),
                value("default message rate", ServerConfig::messageRate, 20),
                value("default message burst", ServerConfig::messageBurst, 40),
                value("default rate limit strikes", ServerConfig::rateLimitStrikes, 50),
                value("default max queued bytes", ServerConfig::maxQueuedBytes, 1024 * 1024),
                value("default ping interval", ServerConfig::pingInterval, Duration.ofSeconds(30)),
                value("default history rooms", ServerConfig::historyRooms, ServerConfig.DEFAULT_HISTORY_ROOMS),
                value("default authentication", ServerConfig::authEnabled, false),
                value("default jwt name claim", ServerConfig::jwtNameClaim, "name"),
                value("default jwt clock skew", ServerConfig::jwtClockSkew, Duration.ofSeconds(30)),
                value("default auth queue", ServerConfig::authQueue, 4_096),
                value("default allowed origins", ServerConfig::allowedOrigins, List.of()),
                value("default tls", ServerConfig::tlsEnabled, false),
                value("default drain timeout", ServerConfig::drainTimeout, Duration.ofSeconds(10)),
                value("default unready delay", ServerConfig::unreadyDelay, Duration.ZERO),
                value("default admin port", ServerConfig::adminPort, Optional.empty()),
                value("default admin host", ServerConfig::adminHost, "127.0.0.1"),
                value("default log format", ServerConfig::logFormat, LogFormat.TEXT),

                // Every option from the command line, in both spellings.
                value("--host", ServerConfig::host, "127.0.0.1", "--host", "127.0.0.1"),
                value("--port", ServerConfig::port, 9002, "--port", "9002"),
                value("--port=", ServerConfig::port, 9003, "--port=9003"),
                value("--threads", ServerConfig::workerThreads, 3, "--threads", "3"),
                value("--transport epoll", ServerConfig::transport, Transport.EPOLL, "--transport", "epoll"),
                value("--transport io_uring", ServerConfig::transport, Transport.IO_URING, "--transport=io_uring"),
                value("--no-native", ServerConfig::transport, Transport.NIO, "--no-native"),
                value("--max-message-bytes", ServerConfig::maxMessageBytes, 2048, "--max-message-bytes", "2048",
                        "--max-content-length", "100"),
                value("--max-content-length", ServerConfig::maxContentLength, 100, "--max-content-length", "100"),
                value("--max-rooms", ServerConfig::maxRoomsPerConnection, 5, "--max-rooms", "5"),
                value("--announce-limit", ServerConfig::announceLimit, 10, "--announce-limit", "10"),
                value("--presence-page", ServerConfig::presencePage, 7, "--presence-page", "7"),
                value("default history", ServerConfig::historyKind, HistoryKind.SQLITE),
                value("default data dir", ServerConfig::dataDir, java.nio.file.Path.of("data")),
                value("--history none", ServerConfig::historyKind, HistoryKind.NONE, "--history", "none"),
                value("--data-dir", ServerConfig::dataDir, java.nio.file.Path.of("/srv/chat"), "--data-dir", "/srv/chat"),
                value("--history-max-messages", ServerConfig::historyMaxMessages, 5, "--history-max-messages", "5"),
                value("--history-max-age", ServerConfig::historyMaxAge, Duration.ofDays(2), "--history-max-age", "2"),
                value("--history-queue", ServerConfig::historyQueue, 9, "--history-queue", "9"),
                value("--history-on-join", ServerConfig::historyOnJoin, 0, "--history-on-join", "0"),
                value("--recovery-limit", ServerConfig::recoveryLimit, 3, "--recovery-limit", "3"),
                value("default session secret", ServerConfig::sessionSecret, null),
                value("default resume window", ServerConfig::resumeWindow, Duration.ofSeconds(120)),
                value("default max detached sessions", ServerConfig::maxDetachedSessions, 50_000),
                value("--session-secret", ServerConfig::sessionSecret, SECRET, "--session-secret", SECRET),
                value("WSCHAT_SESSION_SECRET", ServerConfig::sessionSecret, SECRET)
                        .env(ServerConfig.SESSION_SECRET_ENV, SECRET),
                value("--resume-window", ServerConfig::resumeWindow, Duration.ofSeconds(5), "--resume-window", "5"),
                value("--resume-window 0 turns resume off", ServerConfig::resumeWindow, Duration.ZERO,
                        "--resume-window", "0"),
                value("--resume-window at its most", ServerConfig::resumeWindow, Duration.ofHours(1),
                        "--resume-window", "3600"),
                value("--max-detached-sessions", ServerConfig::maxDetachedSessions, 7, "--max-detached-sessions", "7"),
                value("--max-detached-sessions 0", ServerConfig::maxDetachedSessions, 0, "--max-detached-sessions", "0"),
                value("default redis: none, SQLite history", ServerConfig::redis, Optional.empty()),
                value("--redis", ServerConfig::redis, Optional.of("redis://10.0.0.5:6380/2"),
                        "--redis", "redis://10.0.0.5:6380/2"),
                value("--redis rediss with a password", ServerConfig::redis,
                        Optional.of("rediss://:pw@cache.test:6380"), "--redis=rediss://:pw@cache.test:6380"),
                value("REDIS_URL", ServerConfig::redis, Optional.of("redis://r.test:6379")).env("REDIS_URL",
                        "redis://r.test:6379"),
                value("WSCHAT_REDIS before REDIS_URL", ServerConfig::redis, Optional.of("redis://a.test"))
                        .env("REDIS_URL", "redis://b.test").env("WSCHAT_REDIS", "redis://a.test"),
                value("--redis before REDIS_URL", ServerConfig::redis, Optional.of("redis://c.test"),
                        "--redis", "redis://c.test").env("REDIS_URL", "redis://b.test"),
                error("--redis not a redis URL", "--redis must be a redis://[:password@]host:port[/db] or rediss:// "
                        + "URL, not http://r.test", "--redis", "http://r.test"),
                error("REDIS_URL not a redis URL, password hidden", "--redis (from environment REDIS_URL) must be a "
                        + "redis://[:password@]host:port[/db] or rediss:// URL, not tcp://***@r.test")
                        .env("REDIS_URL", "tcp://:secret@r.test"),
                error("--redis with a bad port", "--redis must be a redis://[:password@]host:port[/db] or rediss:// "
                        + "URL: redis://r.test:99999 (Port out of range: 99999)", "--redis", "redis://r.test:99999"),
                error("--redis with a bad database", "--redis must be a redis://[:password@]host:port[/db] or "
                        + "rediss:// URL: redis://r.test/x (For input string: \"x\")", "--redis", "redis://r.test/x"),
                value("WSCHAT_DATA_DIR", ServerConfig::dataDir, java.nio.file.Path.of("/env/dir"))
                        .env("WSCHAT_DATA_DIR", "/env/dir"),
                value("--max-connections", ServerConfig::maxConnections, 7, "--max-connections", "7"),
                value("--max-connections-per-address", ServerConfig::maxConnectionsPerAddress, 6,
                        "--max-connections-per-address=6"),
                value("--connection-rate", ServerConfig::connectionRate, 5, "--connection-rate", "5"),
                value("--connection-burst", ServerConfig::connectionBurst, 9, "--connection-burst", "9"),
                value("--handshake-timeout", ServerConfig::handshakeTimeout, Duration.ofMillis(1500),
                        "--handshake-timeout", "1500"),
                value("--max-pending-handshakes", ServerConfig::maxPendingHandshakes, 64,
                        "--max-pending-handshakes", "64"),
                value("--max-pending-handshakes 0", ServerConfig::maxPendingHandshakes, 0,
                        "--max-pending-handshakes", "0"),
                value("--message-rate 0", ServerConfig::messageRate, 0, "--message-rate", "0"),
                value("--message-burst", ServerConfig::messageBurst, 4, "--message-burst", "4"),
                value("--rate-limit-strikes", ServerConfig::rateLimitStrikes, 3, "--rate-limit-strikes", "3"),
                value("--max-queued-bytes", ServerConfig::maxQueuedBytes, 131_072, "--max-queued-bytes", "131072"),
                value("--ping-interval 0", ServerConfig::pingInterval, Duration.ZERO, "--ping-interval", "0"),
                value("--history-rooms 0", ServerConfig::historyRooms, 0, "--history-rooms=0"),
                value("--jwt-secret", ServerConfig::jwtSecret, SECRET, "--jwt-secret", SECRET),
                value("--jwt-secret turns authentication on", ServerConfig::authEnabled, true, "--jwt-secret", SECRET),
                value("--jwt-public-key", c -> c.jwtPublicKeyFile().getFileName().toString(), "k.pem",
                        "--jwt-public-key", "{dir}/k.pem"),
                value("--jwt-public-key turns authentication on", ServerConfig::authEnabled, true,
                        "--jwt-public-key", "{dir}/k.pem"),
                value("--jwt-cookie", ServerConfig::jwtCookie, "session", "--jwt-secret", SECRET,
                        "--jwt-cookie=session", "--allowed-origins", "https://a.test"),
                value("--jwt-issuer", ServerConfig::jwtIssuer, "https://auth.test", "--jwt-secret", SECRET,
                        "--jwt-issuer", "https://auth.test"),
                value("--jwt-audience", ServerConfig::jwtAudience, "chat", "--jwt-secret", SECRET,
                        "--jwt-audience", "chat"),
                value("--jwt-name-claim", ServerConfig::jwtNameClaim, "nick", "--jwt-name-claim", "nick"),
                value("--jwt-clock-skew", ServerConfig::jwtClockSkew, Duration.ofSeconds(5), "--jwt-clock-skew", "5"),
                value("--auth-queue", ServerConfig::authQueue, 250, "--auth-queue=250"),
                value("--dm-policy anyone by default", ServerConfig::dmPolicy, DmPolicy.ANYONE),
                value("--dm-policy shared-room", ServerConfig::dmPolicy, DmPolicy.SHARED_ROOM,
                        "--dm-policy", "shared-room"),
                value("WSCHAT_DM_POLICY", ServerConfig::dmPolicy, DmPolicy.NONE).env("WSCHAT_DM_POLICY", "none"),
                error("--dm-policy unknown",
                        "Invalid value for option '--dm-policy': expected anyone, shared-room or none: friends",
                        "--dm-policy", "friends"),
                value("--allowed-origins are trimmed and lower-cased", ServerConfig::allowedOrigins,
                        List.of("https://a.test", "http://b.test:8080", "null"),
                        "--allowed-origins", "https://a.test, http://B.test:8080,null"),
                value("--trusted-proxies none by default", c -> c.trustedProxies().isEmpty(), true),
                value("--trusted-proxies addresses and blocks, trimmed", c -> c.trustedProxies().toString(),
                        "127.0.0.1,10.0.0.0/8,::1", "--trusted-proxies", " 127.0.0.1, 10.0.0.0/8,::1"),
                value("WSCHAT_TRUSTED_PROXIES", c -> c.trustedProxies().toString(), "192.168.0.0/16")
                        .env("WSCHAT_TRUSTED_PROXIES", "192.168.0.0/16"),
                value("--tls-cert and --tls-key", ServerConfig::tlsEnabled, true,
                        "--tls-cert", "{dir}/c.pem", "--tls-key", "{dir}/key.pem"),
                value("--drain-timeout", ServerConfig::drainTimeout, Duration.ofMillis(1500), "--drain-timeout", "1500"),
                value("--unready-delay", ServerConfig::unreadyDelay, Duration.ofMillis(1500), "--unready-delay", "1500"),
                value("--admin-port", ServerConfig::adminPort, Optional.of(9100), "--admin-port", "9100"),
                value("--admin-port 0", ServerConfig::adminPort, Optional.of(0), "--admin-port", "0"),
                value("--admin-host", ServerConfig::adminHost, "0.0.0.0", "--admin-port", "9100",
                        "--admin-host", "0.0.0.0"),
                value("--log-format json", ServerConfig::logFormat, LogFormat.JSON, "--log-format", "json"),
                value("--log-format TEXT", ServerConfig::logFormat, LogFormat.TEXT, "--log-format=TEXT"),

                // The environment: WSCHAT_<NAME> for every option, PORT as in the tutorial.
                value("WSCHAT_PORT", ServerConfig::port, 9001).env("WSCHAT_PORT", "9001"),
                value("PORT", ServerConfig::port, 9001).env("PORT", "9001"),
                value("WSCHAT_PORT before PORT", ServerConfig::port, 9005).env("PORT", "9001").env("WSCHAT_PORT", "9005"),
                value("--port before PORT", ServerConfig::port, 9002, "--port", "9002").env("PORT", "9001"),
                value("--port before WSCHAT_PORT", ServerConfig::port, 9002, "--port", "9002").env("WSCHAT_PORT", "1"),
                value("an empty PORT is unset", ServerConfig::port, 8080).env("PORT", ""),
                value("WSCHAT_MAX_ROOMS", ServerConfig::maxRoomsPerConnection, 3).env("WSCHAT_MAX_ROOMS", "3"),
                value("WSCHAT_JWT_SECRET", ServerConfig::jwtSecret, SECRET).env(ServerConfig.JWT_SECRET_ENV, SECRET),
                value("WSCHAT_NO_NATIVE", ServerConfig::transport, Transport.NIO).env("WSCHAT_NO_NATIVE", "true"),
                value("WSCHAT_LOG_FORMAT", ServerConfig::logFormat, LogFormat.JSON)
                        .env("WSCHAT_LOG_FORMAT", "json"),
                value("WSCHAT_ALLOWED_ORIGINS", ServerConfig::allowedOrigins, List.of("https://a.test", "null"))
                        .env("WSCHAT_ALLOWED_ORIGINS", "https://a.test,null"),
                value("WSCHAT_ADMIN_PORT", ServerConfig::adminPort, Optional.of(9100)).env("WSCHAT_ADMIN_PORT", "9100"),
                value("WSCHAT_CONFIG names the file", ServerConfig::maxRoomsPerConnection, 4)
                        .env("WSCHAT_CONFIG", "{file}").file("max-rooms=4\n"),

                // The --config file: option names without dashes; below the environment and the command line.
                value("config file", ServerConfig::maxRoomsPerConnection, 3).file("max-rooms=3\n"),
                value("config file, trimmed, with comments", ServerConfig::announceLimit, 7)
                        .file("# the announce limit\nannounce-limit =  7  \n"),
                value("config file flag", ServerConfig::transport, Transport.NIO).file("no-native=true\n"),
                value("config file below the environment", ServerConfig::maxRoomsPerConnection, 5)
                        .file("max-rooms=3\n").env("WSCHAT_MAX_ROOMS", "5"),
                value("config file below the command line", ServerConfig::maxRoomsPerConnection, 6,
                        "--max-rooms", "6").file("max-rooms=3\n"),
                value("config file below PORT", ServerConfig::port, 9001).file("port=9009\n").env("PORT", "9001"),
                value("config file keeps other defaults", ServerConfig::port, 8080).file("max-rooms=3\n"),
                error("config file with an unknown key",
                        "--config {file}: no such option [max-romes] (keys are option names without the dashes, "
                                + "see --help)").file("max-romes=3\n"),
                error("config file naming --help", "--config {file}: no such option [help] (keys are option names "
                        + "without the dashes, see --help)").file("help=true\n"),
                error("config file that does not exist", "--config cannot read {dir}/missing.properties: "
                        + "java.nio.file.NoSuchFileException: {dir}/missing.properties",
                        "--config", "{dir}/missing.properties"),
                error("bad value in the config file", "--max-rooms (from config file {file}) must be at least 1: 0")
                        .file("max-rooms=0\n"),

                // Bad options and values: exit code 2 in main, a message naming the option.
                error("unknown option", "Unknown option: '--bogus' (see --help)", "--bogus"),
                error("missing value", "Missing required parameter for option '--port' (N)", "--port"),
                error("not an integer", "Invalid value for option '--port': 'x' is not an int", "--port", "x"),
                error("PORT not an integer", "Invalid value for option '--port': 'x' is not an int "
                        + "(from environment PORT)").env("PORT", "x"),
                error("WSCHAT_MAX_ROOMS not an integer", "Invalid value for option '--max-rooms': 'many' is not an "
                        + "int (from environment WSCHAT_MAX_ROOMS)").env("WSCHAT_MAX_ROOMS", "many"),
                error("--auth-queue not an integer", "Invalid value for option '--auth-queue': 'many' is not an int",
                        "--auth-queue", "many"),
                error("--jwt-clock-skew not an integer", "Invalid value for option '--jwt-clock-skew': 'soon' is not "
                        + "an int", "--jwt-clock-skew", "soon"),
                error("unknown transport", "Invalid value for option '--transport': --transport must be auto, "
                        + "io_uring, epoll or nio, not kqueue", "--transport", "kqueue"),
                error("unknown log format", "Invalid value for option '--log-format': --log-format must be text or "
                        + "json, not xml", "--log-format", "xml"),
                value("an option twice: the last wins", ServerConfig::port, 2, "--port", "1", "--port", "2"),

                // validate(): every range and every contradiction.
                error("--host empty", "--host must not be empty", "--host", " "),
                error("--port too big", "--port must be 0..65535: 70000", "--port", "70000"),
                error("--port negative", "--port must be 0..65535: -1", "--port", "-1"),
                error("PORT negative", "--port (from environment PORT) must be 0..65535: -1").env("PORT", "-1"),
                error("--threads negative", "--threads must be at least 0: -1", "--threads", "-1"),
                error("--max-message-bytes too small", "--max-message-bytes must be at least 1024: 1000",
                        "--max-message-bytes", "1000"),
                error("--max-content-length zero", "--max-content-length must be at least 1: 0",
                        "--max-content-length", "0"),
                error("--max-content-length past --max-message-bytes", "--max-content-length (4000 characters) cannot "
                        + "fit in --max-message-bytes (2048 bytes)", "--max-message-bytes", "2048"),
                error("--max-rooms zero", "--max-rooms must be at least 1: 0", "--max-rooms", "0"),
                error("--presence-page zero", "--presence-page must be at least 1: 0", "--presence-page", "0"),
                error("--presence-page too big", "--presence-page must be at most 1000: 1001", "--presence-page", "1001"),
                error("--history-queue zero", "--history-queue must be at least 1: 0", "--history-queue", "0"),
                error("--history-on-join too big", "--history-on-join must be at most 200: 201", "--history-on-join", "201"),
                error("--recovery-limit negative", "--recovery-limit must be at least 0: -1", "--recovery-limit", "-1"),
                error("--session-secret short", "--session-secret must be at least 32 bytes", "--session-secret", "short"),
                error("WSCHAT_SESSION_SECRET short", "--session-secret (from environment WSCHAT_SESSION_SECRET) must be "
                        + "at least 32 bytes").env(ServerConfig.SESSION_SECRET_ENV, "short"),
                error("--resume-window negative", "--resume-window must be at least 0: -1", "--resume-window", "-1"),
                error("--resume-window too long", "--resume-window must be at most 3600: 3601", "--resume-window", "3601"),
                error("--max-detached-sessions negative", "--max-detached-sessions must be at least 0: -1",
                        "--max-detached-sessions", "-1"),
                error("--max-detached-sessions too many", "--max-detached-sessions must be at most 1000000: 1000001",
                        "--max-detached-sessions", "1000001"),
                error("WSCHAT_MAX_ROOMS zero", "--max-rooms (from environment WSCHAT_MAX_ROOMS) must be at least 1: 0")
                        .env("WSCHAT_MAX_ROOMS", "0"),
                error("--announce-limit negative", "--announce-limit must be at least 0: -1", "--announce-limit", "-1"),
                error("--max-connections negative", "--max-connections must be at least 0: -1",
                        "--max-connections", "-1"),
                error("--max-connections-per-address negative", "--max-connections-per-address must be at least 0: -1",
                        "--max-connections-per-address", "-1"),
                error("--connection-rate negative", "--connection-rate must be at least 0: -1",
                        "--connection-rate", "-1"),
                error("--connection-burst zero", "--connection-burst must be at least 1: 0", "--connection-burst", "0"),
                error("--handshake-timeout zero", "--handshake-timeout must be at least 1: 0",
                        "--handshake-timeout", "0"),
                error("--max-pending-handshakes negative", "--max-pending-handshakes must be at least 0: -1",
                        "--max-pending-handshakes", "-1"),
                error("--message-rate negative", "--message-rate must be at least 0: -1", "--message-rate", "-1"),
                error("--message-burst zero", "--message-burst must be at least 1: 0", "--message-burst", "0"),
                error("--rate-limit-strikes zero", "--rate-limit-strikes must be at least 1: 0",
                        "--rate-limit-strikes", "0"),
                error("--max-queued-bytes too small", "--max-queued-bytes must be at least 65536: 1000",
                        "--max-queued-bytes", "1000"),
                error("--trusted-proxies with a name", "--trusted-proxies: 'nginx' is not an IP address or CIDR block",
                        "--trusted-proxies", "127.0.0.1,nginx"),
                error("--trusted-proxies with a long prefix",
                        "--trusted-proxies: '10.0.0.0/33' has a prefix length outside 0..32", "--trusted-proxies", "10.0.0.0/33"),
                error("--ping-interval negative", "--ping-interval must be at least 0: -1", "--ping-interval", "-1"),
                error("--history-rooms negative", "--history-rooms must be at least 0: -1", "--history-rooms", "-1"),
                error("--jwt-secret short", "--jwt-secret must be at least 32 bytes for HS256", "--jwt-secret", "short"),
                error("WSCHAT_JWT_SECRET short", "--jwt-secret (from environment WSCHAT_JWT_SECRET) must be at least "
                        + "32 bytes for HS256").env(ServerConfig.JWT_SECRET_ENV, "short"),
                error("--jwt-public-key missing", "--jwt-public-key is not a readable file: {dir}/missing.pem",
                        "--jwt-public-key", "{dir}/missing.pem"),
                error("--jwt-cookie without a key", "--jwt-cookie needs --jwt-secret (or WSCHAT_JWT_SECRET) or "
                        + "--jwt-public-key", "--jwt-cookie", "s", "--allowed-origins", "https://a.test"),
                error("--jwt-issuer without a key", "--jwt-issuer needs --jwt-secret (or WSCHAT_JWT_SECRET) or "
                        + "--jwt-public-key", "--jwt-issuer", "https://auth.test"),
                error("--jwt-audience without a key", "--jwt-audience needs --jwt-secret (or WSCHAT_JWT_SECRET) or "
                        + "--jwt-public-key", "--jwt-audience", "chat"),
                error("--jwt-cookie not a cookie name", "--jwt-cookie must be a cookie name of A-Z a-z 0-9 _ . -: a b",
                        "--jwt-secret", SECRET, "--jwt-cookie", "a b", "--allowed-origins", "https://a.test"),
                error("--jwt-cookie without --allowed-origins", "--jwt-cookie needs --allowed-origins: a browser sends "
                        + "the cookie from any page, so without an origin allow-list any web site could open a "
                        + "WebSocket as the signed-in user", "--jwt-cookie", "session").env(ServerConfig.JWT_SECRET_ENV, SECRET),
                error("--jwt-name-claim empty", "--jwt-name-claim must not be empty", "--jwt-name-claim", ""),
                error("--jwt-clock-skew negative", "--jwt-clock-skew must be at least 0: -1", "--jwt-clock-skew", "-1"),
                error("--auth-queue zero", "--auth-queue must be at least 1: 0", "--auth-queue", "0"),
                error("--allowed-origins with a path", "--allowed-origins entries must be scheme://host[:port] or "
                        + "null, without path or trailing slash: 'https://a.test/'", "--allowed-origins", "https://a.test/"),
                error("--allowed-origins wildcard", "--allowed-origins entries must be scheme://host[:port] or null, "
                        + "without path or trailing slash: '*'", "--allowed-origins", "*"),
                error("--tls-cert alone", "--tls-cert and --tls-key go together: set both or neither",
                        "--tls-cert", "{dir}/c.pem"),
                error("--tls-key alone", "--tls-cert and --tls-key go together: set both or neither",
                        "--tls-key", "{dir}/key.pem"),
                error("--tls-cert missing", "--tls-cert is not a readable file: {dir}/none.pem",
                        "--tls-cert", "{dir}/none.pem", "--tls-key", "{dir}/key.pem"),
                error("--tls-key missing", "--tls-key is not a readable file: {dir}/none.pem",
                        "--tls-cert", "{dir}/c.pem", "--tls-key", "{dir}/none.pem"),
                error("--drain-timeout zero", "--drain-timeout must be at least 1: 0", "--drain-timeout", "0"),
                error("--unready-delay negative", "--unready-delay must be at least 0: -1", "--unready-delay", "-1"),
                error("--admin-port too big", "--admin-port must be 0..65535: 70000", "--admin-port", "70000"),
                error("--admin-port same as --port", "--admin-port must differ from --port: 9000",
                        "--port", "9000", "--admin-port", "9000"),
                error("--admin-host empty", "--admin-host must not be empty", "--admin-port", "9100",
                        "--admin-host", ""));
    }

    @BeforeEach
    void readableFiles() throws IOException {
        for (String name : List.of("k.pem", "c.pem", "key.pem")) {
            Files.writeString(dir.resolve(name), "x");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachOptionAsTheUserGivesIt(Case c) throws IOException {
        Path file = dir.resolve("wschat.properties");
        List<String> args = new ArrayList<>();
        if (c.file() != null) {
            Files.writeString(file, c.file());
            if (!c.env().containsKey("WSCHAT_CONFIG")) {
                args.addAll(List.of("--config", file.toString()));
            }
        }
        c.args().forEach(a -> args.add(fill(a, file)));
        Map<String, String> env = new HashMap<>();
        c.env().forEach((k, v) -> env.put(k, fill(v, file)));
        if (c.error() == null) {
            ServerConfig config = load(args, env).orElseThrow();
            assertThat(c.read().apply(config)).isEqualTo(c.expected());
        } else {
            assertThatThrownBy(() -> load(args, env))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(fill(c.error(), file));
        }
    }

    private String fill(String text, Path file) {
        return text.replace("{file}", file.toString()).replace("{dir}", dir.toString());
    }

    private static Optional<ServerConfig> load(List<String> args, Map<String, String> env) {
        return ServerConfig.load(args.toArray(String[]::new), env, new PrintWriter(new StringWriter()));
    }

    @Test
    void parseReadsNoEnvironmentButTheSameOptions() {
        ServerConfig config = ServerConfig.parse("--host", "127.0.0.1", "--port", "0", "--max-rooms", "3");
        assertThat(config.port()).isZero();
        assertThat(config.maxRoomsPerConnection()).isEqualTo(3);
        assertThat(DEFAULTS.port()).isEqualTo(8080);
        assertThatThrownBy(() -> ServerConfig.parse("--max-rooms", "0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("--max-rooms must be at least 1: 0");
    }

    @Test
    void toStringNamesEveryOptionAndNeverShowsTheSecret() {
        String text = ServerConfig.parse("--jwt-secret", SECRET, "--max-rooms", "3", "--redis",
                "redis://:hunter2@r.test").toString();
        assertThat(text).doesNotContain(SECRET).doesNotContain("hunter2").contains("--redis=(set)").contains("--jwt-secret=(set)", "--max-rooms=3", "--port=8080",
                "--admin-port=null");
        assertThat(DEFAULTS.toString()).contains("--jwt-secret=null");
    }

    @Test
    void versionPrintsTheProjectVersion() {
        StringWriter out = new StringWriter();
        assertThat(ServerConfig.load(new String[] {"--version"}, Map.of(), new PrintWriter(out))).isEmpty();
        assertThat(out.toString()).startsWith("wschat-server ").doesNotContain("${").doesNotContain("unknown")
                .containsPattern("wschat-server \\d+\\.\\d+\\.\\d+");
        assertThat(ServerVersion.version()).isEqualTo(out.toString().lines().findFirst().orElseThrow()
                .substring("wschat-server ".length()));
    }

    @Test
    void helpListsEveryOptionBySectionWithItsDeclaredDefault() {
        StringWriter out = new StringWriter();
        // The environment does not change the defaults that --help shows.
        assertThat(ServerConfig.load(new String[] {"-h"}, Map.of("WSCHAT_MAX_ROOMS", "3"), new PrintWriter(out)))
                .isEmpty();
        String help = out.toString();
        assertThat(help).containsSubsequence("Network", "--host", "--port", "Limits", "--max-rooms", "Default: 50",
                "Security", "--jwt-secret", "TLS", "--tls-cert", "Operations", "--admin-port", "--log-format",
                "--config", "WSCHAT_<NAME>", "Precedence: command line, environment");
        assertThat(help).contains("PORT environment variable", "--version", "--help");
        java.util.regex.Matcher option = java.util.regex.Pattern.compile("(--[a-z-]+)=").matcher(DEFAULTS.toString());
        int options = 0;
        while (option.find()) {
            assertThat(help).contains(option.group(1));
            options++;
        }
        assertThat(options).isEqualTo(52);
    }

    @Test
    void helpNamesTheEnvironmentVariablesOfEveryOption() {
        StringWriter out = new StringWriter();
        assertThat(ServerConfig.load(new String[] {"--help"}, Map.of(), new PrintWriter(out))).isEmpty();
        String help = out.toString();
        java.util.regex.Matcher option = java.util.regex.Pattern.compile("--([a-z-]+)=").matcher(DEFAULTS.toString());
        while (option.find()) {
            String env = "WSCHAT_" + option.group(1).toUpperCase(java.util.Locale.ROOT).replace('-', '_');
            assertThat(help).containsSubsequence("--" + option.group(1), "Env: " + env);
        }
        assertThat(help).contains("Env: WSCHAT_PORT, PORT", "Env: WSCHAT_REDIS, REDIS_URL");
    }
}
