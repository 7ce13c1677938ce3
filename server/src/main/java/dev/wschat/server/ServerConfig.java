package dev.wschat.server;

import dev.wschat.protocol.Limits;
import dev.wschat.server.limits.TrustedProxies;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.regex.Pattern;

/**
 * Every setting of the server, each declared once as a picocli {@link Option} with its name, default and help;
 * immutable once parsed, and {@link #validate()} fails fast naming the option as the user gave it. Values come
 * from the command line, then the environment ({@code WSCHAT_<OPTION>}, and {@code PORT} as in the tutorial),
 * then the {@code --config} properties file, then the declared default ({@link ConfigSources}).
 */
@Command(name = "wschat-server", mixinStandardHelpOptions = true, versionProvider = ServerVersion.class,
        sortOptions = false, showDefaultValues = true, usageHelpAutoWidth = true, usageHelpWidth = 100,
        customSynopsis = "java -jar wschat-server.jar [OPTIONS]",
        description = "A WebSocket chat server: the browser client at /, WebSockets at / and /ws.",
        footerHeading = "%nEnvironment and config file%n",
        footer = {
            "Every option can also be set by the environment variable WSCHAT_<NAME> (--max-rooms: WSCHAT_MAX_ROOMS)",
            "or by a line of the --config properties file (max-rooms=3); PORT sets --port, as in the tutorial;",
            "REDIS_URL sets --redis.",
            "Precedence: command line, environment (WSCHAT_PORT before PORT), config file, default."})
public final class ServerConfig {
    /** The environment variable that may hold the HS256 secret, so it stays off the command line. */
    public static final String JWT_SECRET_ENV = "WSCHAT_JWT_SECRET";
    /** The environment variable that may hold the resume-token key. */
    public static final String SESSION_SECRET_ENV = "WSCHAT_SESSION_SECRET";
    /** Longest {@code --resume-window}, in seconds. */
    public static final int MAX_RESUME_WINDOW_SECONDS = 3_600;
    /** Most {@code --max-detached-sessions}. */
    public static final int MAX_DETACHED_SESSIONS = 1_000_000;
    /** Fewest bytes of an HS256 secret: the hash size, as RFC 7518 section 3.2 requires. */
    public static final int MIN_JWT_SECRET_BYTES = 32;
    /** Default most rooms whose recent messages are kept in memory; past it the least recently used is dropped. */
    public static final int DEFAULT_HISTORY_ROOMS = 10_000;
    private static final Pattern ORIGIN = Pattern.compile("https?://[a-z0-9.\\[\\]:-]+");
    private static final Pattern COOKIE_NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    /** Marks an option whose value {@link #toString()} never shows. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface Secret {
    }

    /** The log layout of the shipped Log4j2 configuration. */
    public enum LogFormat {
        /** One human-readable line per event (the shipped pattern). */
        TEXT,
        /** One JSON object per line (Elastic Common Schema), for log shippers. */
        JSON
    }

    @ArgGroup(validate = false, heading = "%nNetwork%n", order = 1)
    private Network network = new Network();
    @ArgGroup(validate = false, heading = "%nLimits%n", order = 2)
    private Capacity limits = new Capacity();
    @ArgGroup(validate = false, heading = "%nHistory%n", order = 3)
    private HistoryOptions history = new HistoryOptions();
    @ArgGroup(validate = false, heading = "%nSecurity%n", order = 4)
    private Security security = new Security();
    @ArgGroup(validate = false, heading = "%nTLS%n", order = 5)
    private Tls tls = new Tls();
    @ArgGroup(validate = false, heading = "%nOperations%n", order = 6)
    private Operations operations = new Operations();

    private List<String> allowedOrigins = List.of();
    private TrustedProxies trustedProxies = TrustedProxies.NONE;
    /** Where each value not on the command line came from ("environment PORT", "app.properties"), for messages. */
    private Map<String, String> sources = Map.of();
    /** The parsed declarations, read back by {@link #toString()}. */
    private CommandLine.Model.CommandSpec spec;

    private static final class Network {
        @Option(names = "--host", paramLabel = "ADDR", defaultValue = "0.0.0.0", description = "address to bind")
        private String host;
        @Option(names = "--port", paramLabel = "N", defaultValue = "8080",
                description = "TCP port, 0 picks a free one; the PORT environment variable sets it too")
        private int port;
        @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
                description = "worker event-loop threads, 0 = one per processor")
        private int workerThreads;
        @Option(names = "--transport", paramLabel = "T", defaultValue = "auto", converter = TransportConverter.class,
                description = "socket transport: auto (epoll, else nio), epoll, nio or io_uring")
        private Transport transport;
        @Option(names = "--no-native", defaultValue = "false", description = "the same as --transport nio")
        private boolean noNative;
        @Option(names = "--trusted-proxies", paramLabel = "LIST",
                description = "comma-separated addresses or CIDR blocks of proxies (nginx) whose X-Forwarded-For "
                        + "names the client, for per-address limits and logs; none given trusts none")
        private String trustedProxies;
    }

    private static final class Capacity {
        @Option(names = "--max-message-bytes", paramLabel = "N", defaultValue = "" + Limits.DEFAULT_MAX_MESSAGE_BYTES,
                description = "largest WebSocket message in bytes; larger closes 1009")
        private int maxMessageBytes;
        @Option(names = "--max-content-length", paramLabel = "N", defaultValue = "" + Limits.DEFAULT_MAX_CONTENT_LENGTH,
                description = "longest chat text in characters; longer gets error too_long")
        private int maxContentLength;
        @Option(names = "--max-rooms", paramLabel = "N", defaultValue = "" + Limits.DEFAULT_MAX_ROOMS_PER_CONNECTION,
                description = "rooms one connection may be in at once")
        private int maxRoomsPerConnection;
        @Option(names = "--announce-limit", paramLabel = "N", defaultValue = "1000",
                description = "members past which joins and leaves are not announced")
        private int announceLimit;
        @Option(names = "--presence-page", paramLabel = "N", defaultValue = "100",
                description = "members one presence message lists; more are paged with who")
        private int presencePage;
        @Option(names = "--max-connections", paramLabel = "N", defaultValue = "10000",
                description = "WebSocket connections held at once, 0 = no limit; past it HTTP 503")
        private int maxConnections;
        @Option(names = "--max-connections-per-address", paramLabel = "N", defaultValue = "1000",
                description = "WebSocket connections from one IP, 0 = no limit; past it HTTP 503")
        private int maxConnectionsPerAddress;
        @Option(names = "--connection-rate", paramLabel = "N", defaultValue = "20",
                description = "new WebSocket connections per second per IP, 0 = no limit; past it HTTP 503")
        private int connectionRate;
        @Option(names = "--connection-burst", paramLabel = "N", defaultValue = "100",
                description = "burst of new WebSocket connections per IP")
        private int connectionBurst;
        @Option(names = "--handshake-timeout", paramLabel = "MS", defaultValue = "10000",
                description = "time to send a complete HTTP request or handshake")
        private int handshakeTimeoutMillis;
        @Option(names = "--max-pending-handshakes", paramLabel = "N", defaultValue = "1000",
                description = "connections per event loop not yet upgraded, 0 = no limit; past it a handshake gets "
                        + "HTTP 503 with Retry-After: 1 before any HTTP pipeline is built")
        private int maxPendingHandshakes;
        @Option(names = "--message-rate", paramLabel = "N", defaultValue = "20",
                description = "messages per second per connection, 0 = no limit; past it error rate_limited")
        private int messageRate;
        @Option(names = "--message-burst", paramLabel = "N", defaultValue = "40",
                description = "burst of messages per connection")
        private int messageBurst;
        @Option(names = "--rate-limit-strikes", paramLabel = "N", defaultValue = "50",
                description = "rate-limited messages in a row that close the connection 1008")
        private int rateLimitStrikes;
        @Option(names = "--max-queued-bytes", paramLabel = "N", defaultValue = "1048576",
                description = "bytes queued for a slow reader before close 4008")
        private int maxQueuedBytes;
        @Option(names = "--ping-interval", paramLabel = "MS", defaultValue = "30000",
                description = "ping connections idle this long, close after two, 0 = off")
        private int pingIntervalMillis;
        @Option(names = "--history-rooms", paramLabel = "N", defaultValue = "" + DEFAULT_HISTORY_ROOMS,
                description = "rooms whose recent messages are kept, least recently used dropped, 0 = none")
        private int historyRooms;
    }

    private static final class HistoryOptions {
        @Option(names = "--history", paramLabel = "KIND", defaultValue = "sqlite", converter = HistoryKindConverter.class,
                description = "where chat messages are kept: sqlite (durable, under --data-dir) or none (memory only, "
                        + "lost on restart)")
        private HistoryKind kind;
        @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data",
                description = "directory of the history database wschat.db, created when missing")
        private Path dataDir;
        @Option(names = "--history-max-messages", paramLabel = "N", defaultValue = "10000",
                description = "messages kept per room, older ones deleted, 0 = no limit")
        private int maxMessages;
        @Option(names = "--history-max-age", paramLabel = "DAYS", defaultValue = "30",
                description = "days a message is kept, 0 = no limit")
        private int maxAgeDays;
        @Option(names = "--history-queue", paramLabel = "N", defaultValue = "20000",
                description = "messages waiting to be stored; past it a sender gets error unavailable")
        private int queue;
        @Option(names = "--history-on-join", paramLabel = "N", defaultValue = "50",
                description = "recent messages a joiner is sent, 0 = none")
        private int onJoin;
        @Option(names = "--recovery-limit", paramLabel = "N", defaultValue = "1000",
                description = "most missed messages a resuming client recovers; past it recovered:false")
        private int recoveryLimit;
        @Secret
        @Option(names = "--redis", paramLabel = "URL",
                description = "share rooms and history with other nodes through Redis: redis://[:password@]host:port"
                        + "[/db], rediss:// for TLS; also REDIS_URL; replaces --history and --data-dir")
        private String redis;
    }

    /** Where chat messages are kept. */
    public enum HistoryKind {
        /** SQLite under {@code --data-dir}: survives restarts. */
        SQLITE,
        /** In memory only: nothing survives a restart. */
        NONE
    }

    static final class HistoryKindConverter implements CommandLine.ITypeConverter<HistoryKind> {
        @Override
        public HistoryKind convert(String value) {
            return switch (value) {
                case "sqlite" -> HistoryKind.SQLITE;
                case "none" -> HistoryKind.NONE;
                default -> throw new CommandLine.TypeConversionException("expected sqlite or none: " + value);
            };
        }
    }

    private static final class Security {
        @Secret
        @Option(names = "--jwt-secret", paramLabel = "SECRET",
                description = "HS256 secret (at least " + MIN_JWT_SECRET_BYTES + " bytes); turns authentication on; "
                        + "prefer the " + JWT_SECRET_ENV + " environment variable")
        private String jwtSecret;
        @Option(names = "--jwt-public-key", paramLabel = "FILE",
                description = "PEM file of RSA (RS256) or EC P-256 (ES256) public keys; turns authentication on")
        private Path jwtPublicKeyFile;
        @Option(names = "--jwt-cookie", paramLabel = "NAME",
                description = "also read the token from this cookie; needs --allowed-origins")
        private String jwtCookie;
        @Option(names = "--jwt-issuer", paramLabel = "ISS", description = "tokens must carry this iss claim")
        private String jwtIssuer;
        @Option(names = "--jwt-audience", paramLabel = "AUD", description = "tokens must name this audience in aud")
        private String jwtAudience;
        @Option(names = "--jwt-name-claim", paramLabel = "CLAIM", defaultValue = "name",
                description = "claim holding the user's display name")
        private String jwtNameClaim;
        @Option(names = "--jwt-clock-skew", paramLabel = "SECONDS", defaultValue = "30",
                description = "tolerance when checking exp and nbf")
        private int jwtClockSkewSeconds;
        @Option(names = "--auth-queue", paramLabel = "N", defaultValue = "4096",
                description = "token verifications waiting for a thread; past it HTTP 503")
        private int authQueue;
        @Secret
        @Option(names = "--session-secret", paramLabel = "SECRET",
                description = "key (at least " + MIN_JWT_SECRET_BYTES + " bytes) signing resume tokens; nodes behind "
                        + "one load balancer must share it; random per process when unset; prefer the "
                        + SESSION_SECRET_ENV + " environment variable")
        private String sessionSecret;
        @Option(names = "--resume-window", paramLabel = "SECONDS", defaultValue = "120",
                description = "how long a dropped session is kept for its resume token (at most "
                        + MAX_RESUME_WINDOW_SECONDS + "), 0 = resume off")
        private int resumeWindowSeconds;
        @Option(names = "--max-detached-sessions", paramLabel = "N", defaultValue = "50000",
                description = "dropped sessions kept for a resume at once; past it a dropped session ends at once")
        private int maxDetachedSessions;
        @Option(names = "--allowed-origins", paramLabel = "LIST",
                description = "comma-separated origins allowed to open WebSockets, e.g. "
                        + "https://chat.example.com,null; others get 403; none given allows all")
        private String allowedOrigins;
    }

    private static final class Tls {
        @Option(names = "--tls-cert", paramLabel = "FILE",
                description = "PEM certificate chain; with --tls-key serves wss:// and https://")
        private Path tlsCertFile;
        @Option(names = "--tls-key", paramLabel = "FILE",
                description = "PEM PKCS#8 private key (BEGIN PRIVATE KEY), unencrypted")
        private Path tlsKeyFile;
    }

    private static final class Operations {
        @Option(names = "--drain-timeout", paramLabel = "MS", defaultValue = "10000",
                description = "time to flush and close connections on SIGTERM")
        private int drainTimeoutMillis;
        @Option(names = "--unready-delay", paramLabel = "MS", defaultValue = "0",
                description = "on SIGTERM, time /ready answers 503 before the listener closes")
        private int unreadyDelayMillis;
        @Option(names = "--admin-port", paramLabel = "N",
                description = "serve /metrics on this port only (0 picks a free one), not on --port; "
                        + "none = /metrics on --port")
        private Integer adminPort;
        @Option(names = "--admin-host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
                description = "address of the --admin-port listener")
        private String adminHost;
        @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text",
                converter = LogFormatConverter.class, description = "text (one line per event) or json (one "
                        + "JSON object per line, Elastic Common Schema)")
        private LogFormat logFormat;
        @Option(names = "--config", paramLabel = "FILE",
                description = "properties file of options without dashes (max-rooms=3); also WSCHAT_CONFIG")
        private Path configFile;
    }

    private ServerConfig() {
    }

    /**
     * Parses command-line style options, reading no environment (a {@code --config} file is read).
     *
     * @param args options, e.g. {@code "--host", "127.0.0.1", "--port", "0"}
     * @return the validated configuration
     * @throws IllegalArgumentException naming the option, for an unknown option or a bad value
     */
    public static ServerConfig parse(String... args) {
        Objects.requireNonNull(args, "args");
        return load(args, Map.of(), new PrintWriter(new StringWriter()))
                .orElseThrow(() -> new IllegalArgumentException("--help and --version print text, not a configuration"));
    }

    /**
     * Reads the configuration as {@code main} does; prints help or the version instead when asked.
     *
     * @param args the command line
     * @param env  the environment
     * @param out  where {@code --help} and {@code --version} print
     * @return the validated configuration, or empty when help or the version was printed
     * @throws IllegalArgumentException naming the option, for an unknown option or a bad value
     */
    static Optional<ServerConfig> load(String[] args, Map<String, String> env, PrintWriter out) {
        Objects.requireNonNull(args, "args");
        Objects.requireNonNull(env, "env");
        ServerConfig config = new ServerConfig();
        CommandLine cli = new CommandLine(config);
        ConfigSources sources = ConfigSources.read(cli.getCommandSpec(), args, env);
        cli.setDefaultValueProvider(sources);
        CommandLine.ParseResult result;
        try {
            result = cli.parseArgs(args);
        } catch (ParameterException e) {
            String source = e.getArgSpec() instanceof OptionSpec o ? sources.sourceOf(o.longestName()) : null;
            throw new IllegalArgumentException(e.getMessage() + (source != null ? " (from " + source + ")" : "")
                    + (e instanceof CommandLine.UnmatchedArgumentException ? " (see --help)" : ""), e);
        }
        if (result.isUsageHelpRequested()) {
            // The declared defaults, not this environment's values.
            new CommandLine(new ServerConfig()).usage(out);
            out.flush();
            return Optional.empty();
        }
        if (result.isVersionHelpRequested()) {
            cli.printVersionHelp(out);
            out.flush();
            return Optional.empty();
        }
        config.spec = cli.getCommandSpec();
        config.sources = sources.notMatched(result);
        config.allowedOrigins = origins(config.security.allowedOrigins);
        try {
            config.trustedProxies = TrustedProxies.parse(config.network.trustedProxies);
        } catch (IllegalArgumentException e) {
            String source = sources.sourceOf("--trusted-proxies");
            throw new IllegalArgumentException("--trusted-proxies: " + e.getMessage()
                    + (source != null ? " (from " + source + ")" : ""), e);
        }
        return Optional.of(config.validate());
    }

    private static List<String> origins(String list) {
        if (list == null) {
            return List.of();
        }
        List<String> clean = new ArrayList<>();
        for (String origin : list.split(",")) {
            String o = origin.strip().toLowerCase(Locale.ROOT);
            if (!o.isEmpty()) {
                clean.add(o);
            }
        }
        return List.copyOf(clean);
    }

    /** The address to bind. */
    public String host() {
        return network.host;
    }

    /** The TCP port to bind; 0 picks a free one. */
    public int port() {
        return network.port;
    }

    /** Worker event-loop threads; 0 means one per available processor. */
    public int workerThreads() {
        return network.workerThreads;
    }

    /** The socket transport asked for; {@link Transport#AUTO} picks epoll, else NIO. */
    public Transport transport() {
        return network.noNative ? Transport.NIO : network.transport;
    }

    /** Largest WebSocket message (frame or reassembled fragments), in bytes. */
    public int maxMessageBytes() {
        return limits.maxMessageBytes;
    }

    /** Longest chat or direct-message content, in characters. */
    public int maxContentLength() {
        return limits.maxContentLength;
    }

    /** Most rooms one connection may be in at once. */
    public int maxRoomsPerConnection() {
        return limits.maxRoomsPerConnection;
    }

    /** Members past which a room no longer announces each join and leave to everyone. */
    public int announceLimit() {
        return limits.announceLimit;
    }

    /** Members one presence message lists. */
    public int presencePage() {
        return limits.presencePage;
    }

    /** Most WebSocket connections held at once; 0 means no limit. */
    public int maxConnections() {
        return limits.maxConnections;
    }

    /** Most WebSocket connections from one IP address; 0 means no limit. */
    public int maxConnectionsPerAddress() {
        return limits.maxConnectionsPerAddress;
    }

    /** New WebSocket connections per second one IP address may open; 0 means no limit. */
    public int connectionRate() {
        return limits.connectionRate;
    }

    /** Burst of new WebSocket connections one IP address may open at once. */
    public int connectionBurst() {
        return limits.connectionBurst;
    }

    /** Time a connection has to complete its HTTP request or WebSocket handshake. */
    public Duration handshakeTimeout() {
        return Duration.ofMillis(limits.handshakeTimeoutMillis);
    }

    /** Connections each event loop holds before their handshake is answered; 0 means no limit. */
    public int maxPendingHandshakes() {
        return limits.maxPendingHandshakes;
    }

    /** Messages per second one connection may send; 0 means no limit. */
    public int messageRate() {
        return limits.messageRate;
    }

    /** Burst of messages one connection may send at once. */
    public int messageBurst() {
        return limits.messageBurst;
    }

    /** Rate-limited messages in a row after which the connection is closed 1008. */
    public int rateLimitStrikes() {
        return limits.rateLimitStrikes;
    }

    /** Bytes that may be queued for one connection before it is cut off as a slow consumer. */
    public int maxQueuedBytes() {
        return limits.maxQueuedBytes;
    }

    /** Idle time after which a connection is pinged; {@link Duration#ZERO} turns heartbeats off. */
    public Duration pingInterval() {
        return Duration.ofMillis(limits.pingIntervalMillis);
    }

    /** Most rooms whose recent messages are kept in memory, least recently used dropped first; 0 keeps none. */
    public int historyRooms() {
        return limits.historyRooms;
    }

    /** Where chat messages are kept. */
    public HistoryKind historyKind() {
        return history.kind;
    }

    /** {@code --redis}: the Redis URL when the node shares its rooms and history through Redis. */
    public Optional<String> redis() {
        return Optional.ofNullable(history.redis).filter(url -> !url.isBlank());
    }

    /** The directory of the SQLite history. */
    public Path dataDir() {
        return history.dataDir;
    }

    /** Messages kept per room; 0 = no limit. */
    public int historyMaxMessages() {
        return history.maxMessages;
    }

    /** How long a message is kept; {@link Duration#ZERO} = no limit. */
    public Duration historyMaxAge() {
        return Duration.ofDays(history.maxAgeDays);
    }

    /** Messages waiting for the store before senders are refused. */
    public int historyQueue() {
        return history.queue;
    }

    /** Recent messages sent to a joiner. */
    public int historyOnJoin() {
        return history.onJoin;
    }

    /** Most missed messages a resume recovers. */
    public int recoveryLimit() {
        return history.recoveryLimit;
    }

    /** The key signing resume tokens, or {@code null} for a random one per process; never logged. */
    public String sessionSecret() {
        return security.sessionSecret;
    }

    /** How long a dropped session is kept for a resume; {@link Duration#ZERO} = resume off. */
    public Duration resumeWindow() {
        return Duration.ofSeconds(security.resumeWindowSeconds);
    }

    /** Dropped sessions kept for a resume at once. */
    public int maxDetachedSessions() {
        return security.maxDetachedSessions;
    }

    /** What the chat needs of these options. */
    public dev.wschat.server.chat.ChatSettings chatSettings() {
        return new dev.wschat.server.chat.ChatSettings(maxRoomsPerConnection(), announceLimit(), presencePage(),
                historyOnJoin(), recoveryLimit(), resumeWindow(), maxDetachedSessions(), sessionSecret());
    }

    /** The HS256 shared secret for tokens, or {@code null}; never logged. */
    public String jwtSecret() {
        return security.jwtSecret;
    }

    /** A PEM file of RSA (RS256) or EC P-256 (ES256) public keys for tokens, or {@code null}. */
    public Path jwtPublicKeyFile() {
        return security.jwtPublicKeyFile;
    }

    /** The cookie a token may be read from, or {@code null} when cookies are not read. */
    public String jwtCookie() {
        return security.jwtCookie;
    }

    /** The {@code iss} every token must carry, or {@code null} for any. */
    public String jwtIssuer() {
        return security.jwtIssuer;
    }

    /** The audience every token must name in {@code aud}, or {@code null} for any. */
    public String jwtAudience() {
        return security.jwtAudience;
    }

    /** The token claim holding the user's display name. */
    public String jwtNameClaim() {
        return security.jwtNameClaim;
    }

    /** Tolerance for clock differences when checking {@code exp} and {@code nbf}. */
    public Duration jwtClockSkew() {
        return Duration.ofSeconds(security.jwtClockSkewSeconds);
    }

    /** Most token verifications that may wait for a verifier thread; past it a handshake gets HTTP 503. */
    public int authQueue() {
        return security.authQueue;
    }

    /** Whether WebSocket handshakes need a valid token: a secret or a public key is configured. */
    public boolean authEnabled() {
        return security.jwtSecret != null || security.jwtPublicKeyFile != null;
    }

    /** Proxies whose {@code X-Forwarded-For} names the client (none by default). */
    public TrustedProxies trustedProxies() {
        return trustedProxies;
    }

    /** Origins allowed to open WebSockets ({@code scheme://host[:port]} or {@code null}), lower case; empty allows all. */
    public List<String> allowedOrigins() {
        return allowedOrigins;
    }

    /** The PEM certificate chain for TLS, or {@code null} for plain TCP. */
    public Path tlsCertFile() {
        return tls.tlsCertFile;
    }

    /** The PEM (PKCS#8) private key for TLS, or {@code null} for plain TCP. */
    public Path tlsKeyFile() {
        return tls.tlsKeyFile;
    }

    /** Whether the server speaks TLS ({@code wss://} and {@code https://}). */
    public boolean tlsEnabled() {
        return tls.tlsCertFile != null;
    }

    /** Time given on SIGTERM to flush queued messages and close every connection. */
    public Duration drainTimeout() {
        return Duration.ofMillis(operations.drainTimeoutMillis);
    }

    /** Time on SIGTERM between {@code /ready} turning 503 and the listener closing. */
    public Duration unreadyDelay() {
        return Duration.ofMillis(operations.unreadyDelayMillis);
    }

    /** The port of the admin listener serving {@code /metrics} (0 picks a free one), or empty for none. */
    public Optional<Integer> adminPort() {
        return Optional.ofNullable(operations.adminPort);
    }

    /** The address of the admin listener. */
    public String adminHost() {
        return operations.adminHost;
    }

    /** The log layout asked for. */
    public LogFormat logFormat() {
        return operations.logFormat;
    }

    /**
     * Checks every setting.
     *
     * @return this configuration
     * @throws IllegalArgumentException naming the first option that is out of range, or the options that disagree
     */
    public ServerConfig validate() {
        requireNotBlank("--host", host());
        requirePort("--port", port());
        requireAtLeast("--threads", workerThreads(), 0);
        requireAtLeast("--max-message-bytes", maxMessageBytes(), 1_024);
        requireAtLeast("--max-content-length", maxContentLength(), 1);
        if (maxContentLength() > maxMessageBytes()) {
            throw new IllegalArgumentException(opt("--max-content-length") + " (" + maxContentLength()
                    + " characters) cannot fit in " + opt("--max-message-bytes") + " (" + maxMessageBytes() + " bytes)");
        }
        requireAtLeast("--max-rooms", maxRoomsPerConnection(), 1);
        requireAtLeast("--announce-limit", announceLimit(), 0);
        requireAtLeast("--presence-page", presencePage(), 1);
        requireAtMost("--presence-page", presencePage(), dev.wschat.protocol.Limits.MAX_PRESENCE_PAGE);
        requireAtLeast("--max-connections", maxConnections(), 0);
        requireAtLeast("--max-connections-per-address", maxConnectionsPerAddress(), 0);
        requireAtLeast("--connection-rate", connectionRate(), 0);
        requireAtLeast("--connection-burst", connectionBurst(), 1);
        requireAtLeast("--handshake-timeout", limits.handshakeTimeoutMillis, 1);
        requireAtLeast("--max-pending-handshakes", limits.maxPendingHandshakes, 0);
        requireAtLeast("--message-rate", messageRate(), 0);
        requireAtLeast("--message-burst", messageBurst(), 1);
        requireAtLeast("--rate-limit-strikes", rateLimitStrikes(), 1);
        requireAtLeast("--max-queued-bytes", maxQueuedBytes(), 64 * 1024);
        requireAtLeast("--ping-interval", limits.pingIntervalMillis, 0);
        requireAtLeast("--history-rooms", historyRooms(), 0);
        requireAtLeast("--history-max-messages", historyMaxMessages(), 0);
        requireAtLeast("--history-max-age", history.maxAgeDays, 0);
        requireAtLeast("--history-queue", historyQueue(), 1);
        requireAtLeast("--history-on-join", historyOnJoin(), 0);
        requireAtMost("--history-on-join", historyOnJoin(), dev.wschat.protocol.Limits.MAX_HISTORY_PAGE);
        requireAtLeast("--recovery-limit", recoveryLimit(), 0);
        validateRedis();
        validateSecurity();
        requireAtLeast("--drain-timeout", operations.drainTimeoutMillis, 1);
        requireAtLeast("--unready-delay", operations.unreadyDelayMillis, 0);
        if (operations.adminPort != null) {
            requirePort("--admin-port", operations.adminPort);
            requireNotBlank("--admin-host", adminHost());
            if (operations.adminPort != 0 && operations.adminPort == port()) {
                throw new IllegalArgumentException(opt("--admin-port") + " must differ from " + opt("--port") + ": "
                        + port());
            }
        }
        return this;
    }

    private void validateRedis() {
        String url = redis().orElse(null);
        if (url == null) {
            return;
        }
        String bad = opt("--redis") + " must be a redis://[:password@]host:port[/db] or rediss:// URL";
        if (!url.startsWith("redis://") && !url.startsWith("rediss://")) {
            throw new IllegalArgumentException(bad + ", not " + redacted(url));
        }
        try {
            io.lettuce.core.RedisURI.create(url);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(bad + ": " + redacted(url) + " (" + e.getMessage() + ")", e);
        }
    }

    /** A URL with any password in it replaced, for messages. */
    private static String redacted(String url) {
        return url.replaceFirst("//[^@/]*@", "//***@");
    }

    private void validateSecurity() {
        String secret = jwtSecret();
        if (secret != null && secret.getBytes(StandardCharsets.UTF_8).length < MIN_JWT_SECRET_BYTES) {
            throw new IllegalArgumentException(opt("--jwt-secret") + " must be at least " + MIN_JWT_SECRET_BYTES
                    + " bytes for HS256");
        }
        requireReadable("--jwt-public-key", jwtPublicKeyFile());
        Map<String, String> needAuth = new java.util.LinkedHashMap<>();
        needAuth.put("--jwt-cookie", jwtCookie());
        needAuth.put("--jwt-issuer", jwtIssuer());
        needAuth.put("--jwt-audience", jwtAudience());
        needAuth.forEach((option, value) -> {
            if (value != null && !authEnabled()) {
                throw new IllegalArgumentException(opt(option) + " needs --jwt-secret (or " + JWT_SECRET_ENV
                        + ") or --jwt-public-key");
            }
        });
        if (jwtCookie() != null && !COOKIE_NAME.matcher(jwtCookie()).matches()) {
            throw new IllegalArgumentException(opt("--jwt-cookie") + " must be a cookie name of A-Z a-z 0-9 _ . -: "
                    + jwtCookie());
        }
        if (jwtCookie() != null && allowedOrigins.isEmpty()) {
            throw new IllegalArgumentException(opt("--jwt-cookie") + " needs --allowed-origins: a browser sends the "
                    + "cookie from any page, so without an origin allow-list any web site could open a WebSocket "
                    + "as the signed-in user");
        }
        requireNotBlank("--jwt-name-claim", jwtNameClaim());
        requireAtLeast("--jwt-clock-skew", security.jwtClockSkewSeconds, 0);
        requireAtLeast("--auth-queue", authQueue(), 1);
        String sessionSecret = sessionSecret();
        if (sessionSecret != null && sessionSecret.getBytes(StandardCharsets.UTF_8).length < MIN_JWT_SECRET_BYTES) {
            throw new IllegalArgumentException(opt("--session-secret") + " must be at least " + MIN_JWT_SECRET_BYTES
                    + " bytes");
        }
        requireAtLeast("--resume-window", security.resumeWindowSeconds, 0);
        requireAtMost("--resume-window", security.resumeWindowSeconds, MAX_RESUME_WINDOW_SECONDS);
        requireAtLeast("--max-detached-sessions", maxDetachedSessions(), 0);
        requireAtMost("--max-detached-sessions", maxDetachedSessions(), MAX_DETACHED_SESSIONS);
        for (String origin : allowedOrigins) {
            if (!"null".equals(origin) && !ORIGIN.matcher(origin).matches()) {
                throw new IllegalArgumentException(opt("--allowed-origins") + " entries must be scheme://host[:port] "
                        + "or null, without path or trailing slash: '" + origin + "'");
            }
        }
        if ((tlsCertFile() == null) != (tlsKeyFile() == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together: set both or neither");
        }
        requireReadable("--tls-cert", tlsCertFile());
        requireReadable("--tls-key", tlsKeyFile());
    }

    /** The option as the user gave it: {@code --port}, or {@code --port (from environment PORT)}. */
    private String opt(String option) {
        String source = sources.get(option);
        return source == null ? option : option + " (from " + source + ")";
    }

    private void requirePort(String option, int value) {
        if (value < 0 || value > 65_535) {
            throw new IllegalArgumentException(opt(option) + " must be 0..65535: " + value);
        }
    }

    private void requireNotBlank(String option, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(opt(option) + " must not be empty");
        }
    }

    private void requireReadable(String option, Path file) {
        if (file != null && !Files.isReadable(file)) {
            throw new IllegalArgumentException(opt(option) + " is not a readable file: " + file);
        }
    }

    private void requireAtLeast(String option, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(opt(option) + " must be at least " + min + ": " + value);
        }
    }

    private void requireAtMost(String option, int value, int max) {
        if (value > max) {
            throw new IllegalArgumentException(opt(option) + " must be at most " + max + ": " + value);
        }
    }

    /** Every option with its value, as given on a command line; secrets show as {@code (set)}. */
    @Override
    public String toString() {
        StringJoiner s = new StringJoiner(", ", "ServerConfig{", "}");
        for (OptionSpec option : spec.options()) {
            if (option.usageHelp() || option.versionHelp()) {
                continue;
            }
            Object value = option.getValue();
            boolean secret = option.userObject() instanceof Field f && f.isAnnotationPresent(Secret.class);
            s.add(option.longestName() + "=" + (secret && value != null ? "(set)" : value));
        }
        return s.toString();
    }

    /** Converts {@code --transport} with the labels of {@link Transport}. */
    static final class TransportConverter implements CommandLine.ITypeConverter<Transport> {
        @Override
        public Transport convert(String value) {
            try {
                return Transport.parse(value.strip());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** Converts {@code --log-format}: {@code text} or {@code json}. */
    static final class LogFormatConverter implements CommandLine.ITypeConverter<LogFormat> {
        @Override
        public LogFormat convert(String value) {
            return Arrays.stream(LogFormat.values())
                    .filter(f -> f.name().equalsIgnoreCase(value.strip()))
                    .findFirst()
                    .orElseThrow(() -> new CommandLine.TypeConversionException(
                            "--log-format must be text or json, not " + value));
        }
    }
}
