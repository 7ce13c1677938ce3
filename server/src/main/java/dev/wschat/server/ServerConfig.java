package dev.wschat.server;

import dev.wschat.server.auth.AuthSettings;
import dev.wschat.server.chat.ChatSettings;
import dev.wschat.server.chat.DmPolicy;
import dev.wschat.server.history.HistorySettings;
import dev.wschat.server.limits.LimitSettings;
import dev.wschat.server.limits.TrustedProxies;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * Every setting of the server: the options are declared once each, by section ({@link NetworkOptions},
 * {@link LimitOptions}, {@link HistoryOptions}, {@link SecurityOptions}, {@link TlsOptions},
 * {@link OperationsOptions}), with the checks of their own value beside them ({@link Checks}); this class composes
 * the sections, checks the rules between options ({@link #validate()}) and builds each package's settings record.
 * Immutable once parsed. Values come from the command line, then the environment ({@code WSCHAT_<OPTION>}, and
 * {@code PORT} as in the tutorial), then the {@code --config} properties file, then the declared default
 * ({@link ConfigSources}).
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
    public static final String JWT_SECRET_ENV = SecurityOptions.JWT_SECRET_ENV;
    /** The environment variable that may hold the resume-token key. */
    public static final String SESSION_SECRET_ENV = SecurityOptions.SESSION_SECRET_ENV;
    /** Default most rooms whose recent messages are kept in memory; past it the least recently used is dropped. */
    public static final int DEFAULT_HISTORY_ROOMS = HistorySettings.DEFAULT_ROOMS;

    @ArgGroup(exclusive = false, validate = false, heading = "%nNetwork%n", order = 1)
    private NetworkOptions network = new NetworkOptions();
    @ArgGroup(exclusive = false, validate = false, heading = "%nLimits%n", order = 2)
    private LimitOptions limits = new LimitOptions();
    @ArgGroup(exclusive = false, validate = false, heading = "%nHistory%n", order = 3)
    private HistoryOptions history = new HistoryOptions();
    @ArgGroup(exclusive = false, validate = false, heading = "%nSecurity%n", order = 4)
    private SecurityOptions security = new SecurityOptions();
    @ArgGroup(exclusive = false, validate = false, heading = "%nTLS%n", order = 5)
    private TlsOptions tls = new TlsOptions();
    @ArgGroup(exclusive = false, validate = false, heading = "%nOperations%n", order = 6)
    private OperationsOptions operations = new OperationsOptions();

    private List<String> allowedOrigins = List.of();
    private TrustedProxies trustedProxies = TrustedProxies.NONE;
    /** Where each value not on the command line came from ("environment PORT", "app.properties"), for messages. */
    private Map<String, String> sources = Map.of();
    /** The parsed declarations, read back by {@link #validate()} and {@link #toString()}. */
    private CommandLine.Model.CommandSpec spec;

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
        CommandLine cli = commandLine(config);
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
            commandLine(new ServerConfig()).usage(out);
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
        config.allowedOrigins = config.security.origins();
        try {
            config.trustedProxies = TrustedProxies.parse(config.network.trustedProxies);
        } catch (IllegalArgumentException e) {
            String source = sources.sourceOf("--trusted-proxies");
            throw new IllegalArgumentException("--trusted-proxies: " + e.getMessage()
                    + (source != null ? " (from " + source + ")" : ""), e);
        }
        return Optional.of(config.validate());
    }

    private static CommandLine commandLine(ServerConfig config) {
        return new CommandLine(config).setHelpFactory(new UsageHelp());
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
        return security.authEnabled();
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

    /** Who may send a direct message to whom. */
    public DmPolicy dmPolicy() {
        return security.dmPolicy;
    }

    /** What the chat needs of these options. */
    public ChatSettings chatSettings() {
        return new ChatSettings(maxRoomsPerConnection(), announceLimit(), presencePage(), historyOnJoin(),
                recoveryLimit(), resumeWindow(), maxDetachedSessions(), sessionSecret(), dmPolicy());
    }

    /** What the connection, handshake and message limits need of these options. */
    public LimitSettings limitSettings() {
        return new LimitSettings(maxMessageBytes(), maxConnections(), maxConnectionsPerAddress(), connectionRate(),
                connectionBurst(), trustedProxies(), maxPendingHandshakes(), handshakeTimeout(), messageRate(),
                messageBurst(), rateLimitStrikes(), pingInterval());
    }

    /** What token authentication and the origin check need of these options. */
    public AuthSettings authSettings() {
        return new AuthSettings(jwtSecret(), jwtPublicKeyFile(), jwtIssuer(), jwtAudience(), jwtNameClaim(),
                jwtClockSkew(), authQueue(), jwtCookie(), allowedOrigins());
    }

    /** What the store needs of these options (SQLite under {@code --data-dir}, or Redis). */
    public HistorySettings historySettings() {
        return new HistorySettings(dataDir(), historyMaxMessages(), historyMaxAge(), historyQueue(),
                HistorySettings.DEFAULT_DEDUP_WINDOW);
    }

    /**
     * Checks every option's own value where it is declared ({@link Checks}), then the rules between options.
     *
     * @return this configuration
     * @throws IllegalArgumentException naming the first option that is out of range, or the options that disagree
     */
    public ServerConfig validate() {
        Checks.apply(spec, this::opt);
        if (maxContentLength() > maxMessageBytes()) {
            throw new IllegalArgumentException(opt("--max-content-length") + " (" + maxContentLength()
                    + " characters) cannot fit in " + opt("--max-message-bytes") + " (" + maxMessageBytes() + " bytes)");
        }
        for (String option : List.of("--jwt-cookie", "--jwt-issuer", "--jwt-audience")) {
            if (spec.findOption(option).getValue() != null && !authEnabled()) {
                throw new IllegalArgumentException(opt(option) + " needs --jwt-secret (or " + JWT_SECRET_ENV
                        + ") or --jwt-public-key");
            }
        }
        if (jwtCookie() != null && allowedOrigins.isEmpty()) {
            throw new IllegalArgumentException(opt("--jwt-cookie") + " needs --allowed-origins: a browser sends the "
                    + "cookie from any page, so without an origin allow-list any web site could open a WebSocket "
                    + "as the signed-in user");
        }
        if ((tlsCertFile() == null) != (tlsKeyFile() == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together: set both or neither");
        }
        if (operations.adminPort != null) {
            if (adminHost() == null || adminHost().isBlank()) {
                throw new IllegalArgumentException(opt("--admin-host") + " must not be empty");
            }
            if (operations.adminPort != 0 && operations.adminPort == port()) {
                throw new IllegalArgumentException(opt("--admin-port") + " must differ from " + opt("--port") + ": "
                        + port());
            }
        }
        return this;
    }

    /** The option as the user gave it: {@code --port}, or {@code --port (from environment PORT)}. */
    private String opt(String option) {
        String source = sources.get(option);
        return source == null ? option : option + " (from " + source + ")";
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
}
