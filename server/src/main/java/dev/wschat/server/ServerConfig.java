package dev.wschat.server;

import dev.wschat.protocol.Limits;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Every setting of the server, with defaults; immutable once built. {@link #validate()} fails fast
 * with a message naming the setting. Settings come from command-line options, a few from the
 * environment ({@code PORT}, as in the tutorial).
 */
public final class ServerConfig {
    /** Default TCP port, as in the tutorial. */
    public static final int DEFAULT_PORT = 8080;
    /** Default bind address: every interface. */
    public static final String DEFAULT_HOST = "0.0.0.0";
    /** Default time given to flush and close connections on SIGTERM. */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(10);
    /** Default number of members past which a room stops announcing joins and leaves to everyone. */
    public static final int DEFAULT_ANNOUNCE_LIMIT = 1_000;
    /** The environment variable that may hold the HS256 secret, so it stays off the command line. */
    public static final String JWT_SECRET_ENV = "WSCHAT_JWT_SECRET";
    /** Fewest bytes of an HS256 secret: the hash size, as RFC 7518 section 3.2 requires. */
    public static final int MIN_JWT_SECRET_BYTES = 32;
    /** Default token claim holding the user's display name. */
    public static final String DEFAULT_JWT_NAME_CLAIM = "name";
    /** Default tolerance for clock differences when checking a token's {@code exp} and {@code nbf}. */
    public static final Duration DEFAULT_JWT_CLOCK_SKEW = Duration.ofSeconds(30);
    /** Default most token verifications waiting for a verifier thread; past it a handshake gets HTTP 503. */
    public static final int DEFAULT_AUTH_QUEUE = 4_096;
    /** Default time between {@code /ready} turning 503 on SIGTERM and the listener closing. */
    public static final Duration DEFAULT_UNREADY_DELAY = Duration.ZERO;
    private static final Pattern ORIGIN = Pattern.compile("https?://[a-z0-9.\\[\\]:-]+");
    /** Default most WebSocket connections held at once; past it the handshake gets HTTP 503. */
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    /** Default most WebSocket connections from one IP address; past it the handshake gets HTTP 503. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 1_000;
    /** Default new WebSocket connections per second one IP address may open (token bucket refill). */
    public static final int DEFAULT_CONNECTION_RATE = 20;
    /** Default burst of new WebSocket connections from one IP address (token bucket size). */
    public static final int DEFAULT_CONNECTION_BURST = 100;
    /** Default time a connection has to send a complete HTTP request or WebSocket handshake. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /** Default messages per second one connection may send (token bucket refill). */
    public static final int DEFAULT_MESSAGE_RATE = 20;
    /** Default burst of messages one connection may send (token bucket size). */
    public static final int DEFAULT_MESSAGE_BURST = 40;
    /** Default number of rate-limited messages in a row after which the connection is closed 1008. */
    public static final int DEFAULT_RATE_LIMIT_STRIKES = 50;
    /** Default cap on bytes queued for one slow reader before it is cut off with close 4008. */
    public static final int DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;
    /** Default idle time after which the server pings a connection; silent for two intervals closes it. */
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(30);
    /** Default most rooms whose recent messages are kept in memory; past it the least recently used is dropped. */
    public static final int DEFAULT_HISTORY_ROOMS = 10_000;

    private final String host;
    private final int port;
    private final int workerThreads;
    private final int maxMessageBytes;
    private final int maxContentLength;
    private final int maxRoomsPerConnection;
    private final int announceLimit;
    private final Duration drainTimeout;
    private final Transport transport;
    private final String jwtSecret;
    private final Path jwtPublicKeyFile;
    private final String jwtCookie;
    private final String jwtIssuer;
    private final String jwtAudience;
    private final String jwtNameClaim;
    private final Duration jwtClockSkew;
    private final int authQueue;
    private final List<String> allowedOrigins;
    private final Path tlsCertFile;
    private final Path tlsKeyFile;
    private final Duration unreadyDelay;
    private final int maxConnections;
    private final int maxConnectionsPerAddress;
    private final int connectionRate;
    private final int connectionBurst;
    private final Duration handshakeTimeout;
    private final int messageRate;
    private final int messageBurst;
    private final int rateLimitStrikes;
    private final int maxQueuedBytes;
    private final Duration pingInterval;
    private final int historyRooms;

    private ServerConfig(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.workerThreads = b.workerThreads;
        this.maxMessageBytes = b.maxMessageBytes;
        this.maxContentLength = b.maxContentLength;
        this.maxRoomsPerConnection = b.maxRoomsPerConnection;
        this.announceLimit = b.announceLimit;
        this.drainTimeout = b.drainTimeout;
        this.transport = b.transport;
        this.jwtSecret = b.jwtSecret;
        this.jwtPublicKeyFile = b.jwtPublicKeyFile;
        this.jwtCookie = b.jwtCookie;
        this.jwtIssuer = b.jwtIssuer;
        this.jwtAudience = b.jwtAudience;
        this.jwtNameClaim = b.jwtNameClaim;
        this.jwtClockSkew = b.jwtClockSkew;
        this.authQueue = b.authQueue;
        this.allowedOrigins = b.allowedOrigins;
        this.tlsCertFile = b.tlsCertFile;
        this.tlsKeyFile = b.tlsKeyFile;
        this.unreadyDelay = b.unreadyDelay;
        this.maxConnections = b.maxConnections;
        this.maxConnectionsPerAddress = b.maxConnectionsPerAddress;
        this.connectionRate = b.connectionRate;
        this.connectionBurst = b.connectionBurst;
        this.handshakeTimeout = b.handshakeTimeout;
        this.messageRate = b.messageRate;
        this.messageBurst = b.messageBurst;
        this.rateLimitStrikes = b.rateLimitStrikes;
        this.maxQueuedBytes = b.maxQueuedBytes;
        this.pingInterval = b.pingInterval;
        this.historyRooms = b.historyRooms;
    }

    /** A builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.host = host;
        b.port = port;
        b.workerThreads = workerThreads;
        b.maxMessageBytes = maxMessageBytes;
        b.maxContentLength = maxContentLength;
        b.maxRoomsPerConnection = maxRoomsPerConnection;
        b.announceLimit = announceLimit;
        b.drainTimeout = drainTimeout;
        b.transport = transport;
        b.jwtSecret = jwtSecret;
        b.jwtPublicKeyFile = jwtPublicKeyFile;
        b.jwtCookie = jwtCookie;
        b.jwtIssuer = jwtIssuer;
        b.jwtAudience = jwtAudience;
        b.jwtNameClaim = jwtNameClaim;
        b.jwtClockSkew = jwtClockSkew;
        b.authQueue = authQueue;
        b.allowedOrigins = allowedOrigins;
        b.tlsCertFile = tlsCertFile;
        b.tlsKeyFile = tlsKeyFile;
        b.unreadyDelay = unreadyDelay;
        b.maxConnections = maxConnections;
        b.maxConnectionsPerAddress = maxConnectionsPerAddress;
        b.connectionRate = connectionRate;
        b.connectionBurst = connectionBurst;
        b.handshakeTimeout = handshakeTimeout;
        b.messageRate = messageRate;
        b.messageBurst = messageBurst;
        b.rateLimitStrikes = rateLimitStrikes;
        b.maxQueuedBytes = maxQueuedBytes;
        b.pingInterval = pingInterval;
        b.historyRooms = historyRooms;
        return b;
    }

    /** The address to bind. */
    public String host() {
        return host;
    }

    /** The TCP port to bind; 0 picks a free one. */
    public int port() {
        return port;
    }

    /** Worker event-loop threads; 0 means one per available processor. */
    public int workerThreads() {
        return workerThreads;
    }

    /** Largest WebSocket message (frame or reassembled fragments), in bytes. */
    public int maxMessageBytes() {
        return maxMessageBytes;
    }

    /** Longest chat or direct-message content, in characters. */
    public int maxContentLength() {
        return maxContentLength;
    }

    /** Most rooms one connection may be in at once. */
    public int maxRoomsPerConnection() {
        return maxRoomsPerConnection;
    }

    /** Members past which a room no longer announces each join and leave to everyone. */
    public int announceLimit() {
        return announceLimit;
    }

    /** Time given on SIGTERM to flush queued messages and close every connection. */
    public Duration drainTimeout() {
        return drainTimeout;
    }

    /** The socket transport asked for; {@link Transport#AUTO} picks epoll, else NIO. */
    public Transport transport() {
        return transport;
    }

    /** The HS256 shared secret for tokens, or {@code null}; never logged. */
    public String jwtSecret() {
        return jwtSecret;
    }

    /** A PEM file of RSA (RS256) or EC P-256 (ES256) public keys for tokens, or {@code null}. */
    public Path jwtPublicKeyFile() {
        return jwtPublicKeyFile;
    }

    /** The cookie a token may be read from, or {@code null} when cookies are not read. */
    public String jwtCookie() {
        return jwtCookie;
    }

    /** The {@code iss} every token must carry, or {@code null} for any. */
    public String jwtIssuer() {
        return jwtIssuer;
    }

    /** The audience every token must name in {@code aud}, or {@code null} for any. */
    public String jwtAudience() {
        return jwtAudience;
    }

    /** The token claim holding the user's display name. */
    public String jwtNameClaim() {
        return jwtNameClaim;
    }

    /** Tolerance for clock differences when checking {@code exp} and {@code nbf}. */
    public Duration jwtClockSkew() {
        return jwtClockSkew;
    }

    /** Most token verifications that may wait for a verifier thread; past it a handshake gets HTTP 503. */
    public int authQueue() {
        return authQueue;
    }

    /** Whether WebSocket handshakes need a valid token: a secret or a public key is configured. */
    public boolean authEnabled() {
        return jwtSecret != null || jwtPublicKeyFile != null;
    }

    /** Origins allowed to open WebSockets ({@code scheme://host[:port]} or {@code null}); empty allows all. */
    public List<String> allowedOrigins() {
        return allowedOrigins;
    }

    /** The PEM certificate chain for TLS, or {@code null} for plain TCP. */
    public Path tlsCertFile() {
        return tlsCertFile;
    }

    /** The PEM (PKCS#8) private key for TLS, or {@code null} for plain TCP. */
    public Path tlsKeyFile() {
        return tlsKeyFile;
    }

    /** Whether the server speaks TLS ({@code wss://} and {@code https://}). */
    public boolean tlsEnabled() {
        return tlsCertFile != null;
    }

    /** Time on SIGTERM between {@code /ready} turning 503 and the listener closing. */
    public Duration unreadyDelay() {
        return unreadyDelay;
    }

    /** Most WebSocket connections held at once; 0 means no limit. */
    public int maxConnections() {
        return maxConnections;
    }

    /** Most WebSocket connections from one IP address; 0 means no limit. */
    public int maxConnectionsPerAddress() {
        return maxConnectionsPerAddress;
    }

    /** New WebSocket connections per second one IP address may open; 0 means no limit. */
    public int connectionRate() {
        return connectionRate;
    }

    /** Burst of new WebSocket connections one IP address may open at once. */
    public int connectionBurst() {
        return connectionBurst;
    }

    /** Time a connection has to complete its HTTP request or WebSocket handshake. */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /** Messages per second one connection may send; 0 means no limit. */
    public int messageRate() {
        return messageRate;
    }

    /** Burst of messages one connection may send at once. */
    public int messageBurst() {
        return messageBurst;
    }

    /** Rate-limited messages in a row after which the connection is closed 1008. */
    public int rateLimitStrikes() {
        return rateLimitStrikes;
    }

    /** Bytes that may be queued for one connection before it is cut off as a slow consumer. */
    public int maxQueuedBytes() {
        return maxQueuedBytes;
    }

    /** Idle time after which a connection is pinged; {@link Duration#ZERO} turns heartbeats off. */
    public Duration pingInterval() {
        return pingInterval;
    }

    /** Most rooms whose recent messages are kept in memory, least recently used dropped first; 0 keeps none. */
    public int historyRooms() {
        return historyRooms;
    }

    /**
     * Checks every setting.
     *
     * @return this configuration
     * @throws IllegalArgumentException naming the first setting that is out of range
     */
    public ServerConfig validate() {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 0..65535: " + port);
        }
        if (workerThreads < 0) {
            throw new IllegalArgumentException("workerThreads must be 0 (auto) or more: " + workerThreads);
        }
        if (maxMessageBytes < 1_024) {
            throw new IllegalArgumentException("maxMessageBytes must be at least 1024: " + maxMessageBytes);
        }
        if (maxContentLength < 1) {
            throw new IllegalArgumentException("maxContentLength must be at least 1: " + maxContentLength);
        }
        if (maxContentLength > maxMessageBytes) {
            throw new IllegalArgumentException("maxContentLength (" + maxContentLength
                    + " characters) cannot fit in maxMessageBytes (" + maxMessageBytes + " bytes)");
        }
        if (maxRoomsPerConnection < 1) {
            throw new IllegalArgumentException("maxRoomsPerConnection must be at least 1: " + maxRoomsPerConnection);
        }
        if (announceLimit < 0) {
            throw new IllegalArgumentException("announceLimit must be 0 or more: " + announceLimit);
        }
        if (drainTimeout == null || drainTimeout.isNegative() || drainTimeout.isZero()) {
            throw new IllegalArgumentException("drainTimeout must be positive: " + drainTimeout);
        }
        requireAtLeast("maxConnections", maxConnections, 0);
        requireAtLeast("maxConnectionsPerAddress", maxConnectionsPerAddress, 0);
        requireAtLeast("connectionRate", connectionRate, 0);
        requireAtLeast("connectionBurst", connectionBurst, 1);
        if (handshakeTimeout == null || handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("handshakeTimeout must be positive: " + handshakeTimeout);
        }
        requireAtLeast("messageRate", messageRate, 0);
        requireAtLeast("messageBurst", messageBurst, 1);
        requireAtLeast("rateLimitStrikes", rateLimitStrikes, 1);
        requireAtLeast("maxQueuedBytes", maxQueuedBytes, 64 * 1024);
        if (pingInterval == null || pingInterval.isNegative()) {
            throw new IllegalArgumentException("pingInterval must be 0 (off) or positive: " + pingInterval);
        }
        requireAtLeast("historyRooms (--history-rooms)", historyRooms, 0);
        validateSecurity();
        return this;
    }

    private void validateSecurity() {
        if (jwtSecret != null && jwtSecret.getBytes(StandardCharsets.UTF_8).length < MIN_JWT_SECRET_BYTES) {
            throw new IllegalArgumentException("jwtSecret (--jwt-secret or " + JWT_SECRET_ENV + ") must be at least "
                    + MIN_JWT_SECRET_BYTES + " bytes for HS256");
        }
        requireReadable("jwtPublicKeyFile (--jwt-public-key)", jwtPublicKeyFile);
        if (!authEnabled() && (jwtCookie != null || jwtIssuer != null || jwtAudience != null)) {
            throw new IllegalArgumentException("jwtCookie, jwtIssuer and jwtAudience need jwtSecret (--jwt-secret or "
                    + JWT_SECRET_ENV + ") or jwtPublicKeyFile (--jwt-public-key)");
        }
        if (jwtCookie != null && !jwtCookie.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("jwtCookie must be a cookie name of A-Z a-z 0-9 _ . -: " + jwtCookie);
        }
        if (jwtCookie != null && allowedOrigins.isEmpty()) {
            throw new IllegalArgumentException("jwtCookie (--jwt-cookie) needs allowedOrigins (--allowed-origins): "
                    + "a browser sends the cookie from any page, so without an origin allow-list any web site "
                    + "could open a WebSocket as the signed-in user");
        }
        if (jwtNameClaim == null || jwtNameClaim.isBlank()) {
            throw new IllegalArgumentException("jwtNameClaim must not be empty");
        }
        if (jwtClockSkew == null || jwtClockSkew.isNegative()) {
            throw new IllegalArgumentException("jwtClockSkew must be 0 or more: " + jwtClockSkew);
        }
        requireAtLeast("authQueue (--auth-queue)", authQueue, 1);
        for (String origin : allowedOrigins) {
            if (!"null".equals(origin) && !ORIGIN.matcher(origin).matches()) {
                throw new IllegalArgumentException("allowedOrigins entries must be scheme://host[:port] or null, "
                        + "without path or trailing slash: '" + origin + "'");
            }
        }
        if ((tlsCertFile == null) != (tlsKeyFile == null)) {
            throw new IllegalArgumentException("tlsCertFile (--tls-cert) and tlsKeyFile (--tls-key) go together: "
                    + "set both or neither");
        }
        requireReadable("tlsCertFile (--tls-cert)", tlsCertFile);
        requireReadable("tlsKeyFile (--tls-key)", tlsKeyFile);
        if (unreadyDelay == null || unreadyDelay.isNegative()) {
            throw new IllegalArgumentException("unreadyDelay must be 0 or more: " + unreadyDelay);
        }
    }

    private static void requireReadable(String setting, Path file) {
        if (file != null && !Files.isReadable(file)) {
            throw new IllegalArgumentException(setting + " is not a readable file: " + file);
        }
    }

    private static void requireAtLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ": " + value);
        }
    }

    /** Parses command-line options, reading no environment, and validates (the shared contract; see config). */
    public static ServerConfig parse(String... args) {
        return fromArgs(args, java.util.Map.of()).validate();
    }

    /**
     * Reads the configuration from command-line options and the environment.
     *
     * @param args the command line
     * @param env  the environment ({@code PORT} is read)
     * @return the validated configuration
     * @throws IllegalArgumentException for an unknown option or a bad value
     */
    public static ServerConfig fromArgs(String[] args, Map<String, String> env) {
        Objects.requireNonNull(args, "args");
        Objects.requireNonNull(env, "env");
        Builder b = builder();
        String envPort = env.get("PORT");
        if (envPort != null && !envPort.isBlank()) {
            b.port(parseInt("PORT", envPort.trim()));
        }
        String envSecret = env.get(JWT_SECRET_ENV);
        if (envSecret != null && !envSecret.isEmpty()) {
            b.jwtSecret(envSecret);
        }
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (name.equals("--no-native")) {
                b.transport(Transport.NIO);
                continue;
            }
            if (!OPTIONS.contains(name)) {
                throw new IllegalArgumentException("unknown option: " + arg + " (see --help)");
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("option " + name + " needs a value");
                }
                value = args[++i];
            }
            switch (name) {
                case "--host" -> b.host(value);
                case "--port" -> b.port(parseInt(name, value));
                case "--threads" -> b.workerThreads(parseInt(name, value));
                case "--transport" -> b.transport(Transport.parse(value));
                case "--max-message-bytes" -> b.maxMessageBytes(parseInt(name, value));
                case "--max-content-length" -> b.maxContentLength(parseInt(name, value));
                case "--max-rooms" -> b.maxRoomsPerConnection(parseInt(name, value));
                case "--announce-limit" -> b.announceLimit(parseInt(name, value));
                case "--drain-timeout" -> b.drainTimeout(Duration.ofMillis(parseInt(name, value)));
                case "--jwt-secret" -> b.jwtSecret(value);
                case "--jwt-public-key" -> b.jwtPublicKeyFile(Path.of(value));
                case "--jwt-cookie" -> b.jwtCookie(value);
                case "--jwt-issuer" -> b.jwtIssuer(value);
                case "--jwt-audience" -> b.jwtAudience(value);
                case "--jwt-name-claim" -> b.jwtNameClaim(value);
                case "--jwt-clock-skew" -> b.jwtClockSkew(Duration.ofSeconds(parseInt(name, value)));
                case "--auth-queue" -> b.authQueue(parseInt(name, value));
                case "--allowed-origins" -> b.allowedOrigins(Arrays.asList(value.split(",")));
                case "--tls-cert" -> b.tlsCertFile(Path.of(value));
                case "--tls-key" -> b.tlsKeyFile(Path.of(value));
                case "--unready-delay" -> b.unreadyDelay(Duration.ofMillis(parseInt(name, value)));
                case "--max-connections" -> b.maxConnections(parseInt(name, value));
                case "--max-connections-per-address" -> b.maxConnectionsPerAddress(parseInt(name, value));
                case "--connection-rate" -> b.connectionRate(parseInt(name, value));
                case "--connection-burst" -> b.connectionBurst(parseInt(name, value));
                case "--handshake-timeout" -> b.handshakeTimeout(Duration.ofMillis(parseInt(name, value)));
                case "--message-rate" -> b.messageRate(parseInt(name, value));
                case "--message-burst" -> b.messageBurst(parseInt(name, value));
                case "--rate-limit-strikes" -> b.rateLimitStrikes(parseInt(name, value));
                case "--max-queued-bytes" -> b.maxQueuedBytes(parseInt(name, value));
                case "--ping-interval" -> b.pingInterval(Duration.ofMillis(parseInt(name, value)));
                case "--history-rooms" -> b.historyRooms(parseInt(name, value));
                default -> throw new IllegalStateException("unhandled option " + name);
            }
        }
        return b.build();
    }

    private static final List<String> OPTIONS = List.of("--host", "--port", "--threads", "--transport", "--max-message-bytes",
            "--max-content-length", "--max-rooms", "--announce-limit", "--drain-timeout",
            "--jwt-secret", "--jwt-public-key", "--jwt-cookie", "--jwt-issuer", "--jwt-audience", "--jwt-name-claim",
            "--jwt-clock-skew", "--auth-queue", "--allowed-origins", "--tls-cert", "--tls-key", "--unready-delay",
            "--max-connections", "--max-connections-per-address", "--connection-rate", "--connection-burst",
            "--handshake-timeout", "--message-rate", "--message-burst", "--rate-limit-strikes", "--max-queued-bytes",
            "--ping-interval", "--history-rooms");

    /** The text of {@code --help}. */
    public static String usage() {
        List<String> lines = new ArrayList<>();
        lines.add("Usage: java -jar wschat-server.jar [options]");
        lines.add("");
        lines.add("Options (defaults in brackets):");
        lines.add("  --host ADDR                 address to bind [" + DEFAULT_HOST + "]");
        lines.add("  --port N                    TCP port; the PORT environment variable sets it too [" + DEFAULT_PORT + "]");
        lines.add("  --threads N                 worker event-loop threads, 0 = one per processor [0]");
        lines.add("  --max-message-bytes N       largest WebSocket message in bytes; larger closes 1009 ["
                + Limits.DEFAULT_MAX_MESSAGE_BYTES + "]");
        lines.add("  --max-content-length N      longest chat text in characters; longer gets error too_long ["
                + Limits.DEFAULT_MAX_CONTENT_LENGTH + "]");
        lines.add("  --max-rooms N               rooms one connection may be in at once ["
                + Limits.DEFAULT_MAX_ROOMS_PER_CONNECTION + "]");
        lines.add("  --announce-limit N          members past which joins/leaves are not announced ["
                + DEFAULT_ANNOUNCE_LIMIT + "]");
        lines.add("  --drain-timeout MS          time to flush and close connections on SIGTERM ["
                + DEFAULT_DRAIN_TIMEOUT.toMillis() + "]");
        lines.add("  --max-connections N         WebSocket connections held at once, 0 = no limit; past it HTTP 503 ["
                + DEFAULT_MAX_CONNECTIONS + "]");
        lines.add("  --max-connections-per-address N  WebSocket connections from one IP, 0 = no limit; HTTP 503 ["
                + DEFAULT_MAX_CONNECTIONS_PER_ADDRESS + "]");
        lines.add("  --connection-rate N         new WebSocket connections per second per IP, 0 = no limit; HTTP 503 ["
                + DEFAULT_CONNECTION_RATE + "]");
        lines.add("  --connection-burst N        burst of new WebSocket connections per IP ["
                + DEFAULT_CONNECTION_BURST + "]");
        lines.add("  --handshake-timeout MS      time to send a complete HTTP request or handshake ["
                + DEFAULT_HANDSHAKE_TIMEOUT.toMillis() + "]");
        lines.add("  --message-rate N            messages per second per connection, 0 = no limit; error rate_limited ["
                + DEFAULT_MESSAGE_RATE + "]");
        lines.add("  --message-burst N           burst of messages per connection [" + DEFAULT_MESSAGE_BURST + "]");
        lines.add("  --rate-limit-strikes N      rate-limited messages in a row that close the connection 1008 ["
                + DEFAULT_RATE_LIMIT_STRIKES + "]");
        lines.add("  --max-queued-bytes N        bytes queued for a slow reader before close 4008 ["
                + DEFAULT_MAX_QUEUED_BYTES + "]");
        lines.add("  --ping-interval MS          ping connections idle this long, close after two, 0 = off ["
                + DEFAULT_PING_INTERVAL.toMillis() + "]");
        lines.add("  --history-rooms N           rooms whose recent messages are kept, least recently used dropped, "
                + "0 = none [" + DEFAULT_HISTORY_ROOMS + "]");
        lines.add("  --transport T               socket transport: auto (epoll, else nio), epoll, nio or io_uring [auto]");
        lines.add("  --no-native                 the same as --transport nio");
        lines.add("  --jwt-secret SECRET         HS256 secret (at least " + MIN_JWT_SECRET_BYTES + " bytes); turns "
                + "authentication on; prefer the " + JWT_SECRET_ENV + " environment variable [none]");
        lines.add("  --jwt-public-key FILE       PEM file of RSA (RS256) or EC P-256 (ES256) public keys; turns "
                + "authentication on [none]");
        lines.add("  --jwt-cookie NAME           also read the token from this cookie; needs --allowed-origins [none]");
        lines.add("  --jwt-issuer ISS            tokens must carry this iss claim [any]");
        lines.add("  --jwt-audience AUD          tokens must name this audience in aud [any]");
        lines.add("  --jwt-name-claim CLAIM      claim holding the user's display name [" + DEFAULT_JWT_NAME_CLAIM + "]");
        lines.add("  --jwt-clock-skew SECONDS    tolerance when checking exp and nbf ["
                + DEFAULT_JWT_CLOCK_SKEW.toSeconds() + "]");
        lines.add("  --auth-queue N              token verifications waiting for a thread; past it HTTP 503 ["
                + DEFAULT_AUTH_QUEUE + "]");
        lines.add("  --allowed-origins LIST      comma-separated origins allowed to open WebSockets, e.g. "
                + "https://chat.example.com,null; others get 403 [all]");
        lines.add("  --tls-cert FILE             PEM certificate chain; with --tls-key serves wss:// and https:// [none]");
        lines.add("  --tls-key FILE              PEM PKCS#8 private key (BEGIN PRIVATE KEY), unencrypted [none]");
        lines.add("  --unready-delay MS          on SIGTERM, time /ready answers 503 before the listener closes ["
                + DEFAULT_UNREADY_DELAY.toMillis() + "]");
        lines.add("  --help                      print this text");
        return String.join(System.lineSeparator(), Collections.unmodifiableList(lines));
    }

    private static int parseInt(String name, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer: '" + value + "'", e);
        }
    }

    @Override
    public String toString() {
        return "ServerConfig{host=" + host + ", port=" + port + ", workerThreads=" + workerThreads
                + ", maxMessageBytes=" + maxMessageBytes + ", maxContentLength=" + maxContentLength
                + ", maxRoomsPerConnection=" + maxRoomsPerConnection + ", announceLimit=" + announceLimit
                + ", drainTimeout=" + drainTimeout + ", transport=" + transport
                + ", jwtSecret=" + (jwtSecret == null ? "none" : "(set)") + ", jwtPublicKeyFile=" + jwtPublicKeyFile
                + ", jwtCookie=" + jwtCookie + ", jwtIssuer=" + jwtIssuer + ", jwtAudience=" + jwtAudience
                + ", jwtNameClaim=" + jwtNameClaim + ", jwtClockSkew=" + jwtClockSkew + ", authQueue=" + authQueue
                + ", allowedOrigins=" + allowedOrigins + ", tlsCertFile=" + tlsCertFile + ", tlsKeyFile=" + tlsKeyFile
                + ", unreadyDelay=" + unreadyDelay
                + ", maxConnections=" + maxConnections + ", maxConnectionsPerAddress=" + maxConnectionsPerAddress
                + ", connectionRate=" + connectionRate + ", connectionBurst=" + connectionBurst
                + ", handshakeTimeout=" + handshakeTimeout + ", messageRate=" + messageRate
                + ", messageBurst=" + messageBurst + ", rateLimitStrikes=" + rateLimitStrikes
                + ", maxQueuedBytes=" + maxQueuedBytes + ", pingInterval=" + pingInterval
                + ", historyRooms=" + historyRooms + "}";
    }

    /** Collects settings; {@link #build()} validates them. */
    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private int workerThreads;
        private int maxMessageBytes = Limits.DEFAULT_MAX_MESSAGE_BYTES;
        private int maxContentLength = Limits.DEFAULT_MAX_CONTENT_LENGTH;
        private int maxRoomsPerConnection = Limits.DEFAULT_MAX_ROOMS_PER_CONNECTION;
        private int announceLimit = DEFAULT_ANNOUNCE_LIMIT;
        private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
        private Transport transport = Transport.AUTO;
        private String jwtSecret;
        private Path jwtPublicKeyFile;
        private String jwtCookie;
        private String jwtIssuer;
        private String jwtAudience;
        private String jwtNameClaim = DEFAULT_JWT_NAME_CLAIM;
        private Duration jwtClockSkew = DEFAULT_JWT_CLOCK_SKEW;
        private int authQueue = DEFAULT_AUTH_QUEUE;
        private List<String> allowedOrigins = List.of();
        private Path tlsCertFile;
        private Path tlsKeyFile;
        private Duration unreadyDelay = DEFAULT_UNREADY_DELAY;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxConnectionsPerAddress = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
        private int connectionRate = DEFAULT_CONNECTION_RATE;
        private int connectionBurst = DEFAULT_CONNECTION_BURST;
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private int messageRate = DEFAULT_MESSAGE_RATE;
        private int messageBurst = DEFAULT_MESSAGE_BURST;
        private int rateLimitStrikes = DEFAULT_RATE_LIMIT_STRIKES;
        private int maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES;
        private Duration pingInterval = DEFAULT_PING_INTERVAL;
        private int historyRooms = DEFAULT_HISTORY_ROOMS;

        private Builder() {
        }

        /** Sets the bind address. */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /** Sets the port (0 picks a free one). */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Sets the worker thread count (0 = auto). */
        public Builder workerThreads(int workerThreads) {
            this.workerThreads = workerThreads;
            return this;
        }

        /** Sets the largest message in bytes. */
        public Builder maxMessageBytes(int maxMessageBytes) {
            this.maxMessageBytes = maxMessageBytes;
            return this;
        }

        /** Sets the longest content in characters. */
        public Builder maxContentLength(int maxContentLength) {
            this.maxContentLength = maxContentLength;
            return this;
        }

        /** Sets the most rooms per connection. */
        public Builder maxRoomsPerConnection(int maxRoomsPerConnection) {
            this.maxRoomsPerConnection = maxRoomsPerConnection;
            return this;
        }

        /** Sets the room size past which joins and leaves are not announced. */
        public Builder announceLimit(int announceLimit) {
            this.announceLimit = announceLimit;
            return this;
        }

        /** Sets the drain time on SIGTERM. */
        public Builder drainTimeout(Duration drainTimeout) {
            this.drainTimeout = drainTimeout;
            return this;
        }

        /** Sets the socket transport ({@link Transport#AUTO} by default). */
        public Builder transport(Transport transport) {
            this.transport = Objects.requireNonNull(transport, "transport");
            return this;
        }

        /** Sets the HS256 secret ({@code null} for none). */
        public Builder jwtSecret(String jwtSecret) {
            this.jwtSecret = jwtSecret;
            return this;
        }

        /** Sets the PEM file of token public keys ({@code null} for none). */
        public Builder jwtPublicKeyFile(Path jwtPublicKeyFile) {
            this.jwtPublicKeyFile = jwtPublicKeyFile;
            return this;
        }

        /** Sets the cookie tokens may be read from ({@code null} for none). */
        public Builder jwtCookie(String jwtCookie) {
            this.jwtCookie = jwtCookie;
            return this;
        }

        /** Sets the required issuer ({@code null} for any). */
        public Builder jwtIssuer(String jwtIssuer) {
            this.jwtIssuer = jwtIssuer;
            return this;
        }

        /** Sets the required audience ({@code null} for any). */
        public Builder jwtAudience(String jwtAudience) {
            this.jwtAudience = jwtAudience;
            return this;
        }

        /** Sets the claim holding the display name. */
        public Builder jwtNameClaim(String jwtNameClaim) {
            this.jwtNameClaim = jwtNameClaim;
            return this;
        }

        /** Sets the clock-skew tolerance for token times. */
        public Builder jwtClockSkew(Duration jwtClockSkew) {
            this.jwtClockSkew = jwtClockSkew;
            return this;
        }

        /** Sets the most token verifications waiting for a verifier thread. */
        public Builder authQueue(int authQueue) {
            this.authQueue = authQueue;
            return this;
        }

        /** Sets the origins allowed to open WebSockets (empty allows all); trimmed, lower-cased, blanks dropped. */
        public Builder allowedOrigins(List<String> allowedOrigins) {
            List<String> clean = new ArrayList<>();
            for (String origin : Objects.requireNonNull(allowedOrigins, "allowedOrigins")) {
                String o = origin.strip().toLowerCase(Locale.ROOT);
                if (!o.isEmpty()) {
                    clean.add(o);
                }
            }
            this.allowedOrigins = List.copyOf(clean);
            return this;
        }

        /** Sets the PEM certificate chain for TLS. */
        public Builder tlsCertFile(Path tlsCertFile) {
            this.tlsCertFile = tlsCertFile;
            return this;
        }

        /** Sets the PEM private key for TLS. */
        public Builder tlsKeyFile(Path tlsKeyFile) {
            this.tlsKeyFile = tlsKeyFile;
            return this;
        }

        /** Sets how long {@code /ready} answers 503 on SIGTERM before the listener closes. */
        public Builder unreadyDelay(Duration unreadyDelay) {
            this.unreadyDelay = unreadyDelay;
            return this;
        }

        /** Sets the most WebSocket connections held at once (0 = no limit). */
        public Builder maxConnections(int maxConnections) {
            this.maxConnections = maxConnections;
            return this;
        }

        /** Sets the most WebSocket connections from one IP address (0 = no limit). */
        public Builder maxConnectionsPerAddress(int maxConnectionsPerAddress) {
            this.maxConnectionsPerAddress = maxConnectionsPerAddress;
            return this;
        }

        /** Sets the new WebSocket connections per second per IP address (0 = no limit). */
        public Builder connectionRate(int connectionRate) {
            this.connectionRate = connectionRate;
            return this;
        }

        /** Sets the burst of new WebSocket connections per IP address. */
        public Builder connectionBurst(int connectionBurst) {
            this.connectionBurst = connectionBurst;
            return this;
        }

        /** Sets the time to complete an HTTP request or WebSocket handshake. */
        public Builder handshakeTimeout(Duration handshakeTimeout) {
            this.handshakeTimeout = handshakeTimeout;
            return this;
        }

        /** Sets the messages per second per connection (0 = no limit). */
        public Builder messageRate(int messageRate) {
            this.messageRate = messageRate;
            return this;
        }

        /** Sets the burst of messages per connection. */
        public Builder messageBurst(int messageBurst) {
            this.messageBurst = messageBurst;
            return this;
        }

        /** Sets the rate-limited messages in a row that close a connection 1008. */
        public Builder rateLimitStrikes(int rateLimitStrikes) {
            this.rateLimitStrikes = rateLimitStrikes;
            return this;
        }

        /** Sets the cap on bytes queued for one connection. */
        public Builder maxQueuedBytes(int maxQueuedBytes) {
            this.maxQueuedBytes = maxQueuedBytes;
            return this;
        }

        /** Sets the heartbeat interval ({@link Duration#ZERO} = off). */
        public Builder pingInterval(Duration pingInterval) {
            this.pingInterval = pingInterval;
            return this;
        }

        /** Sets the most rooms whose recent messages are kept (0 = none). */
        public Builder historyRooms(int historyRooms) {
            this.historyRooms = historyRooms;
            return this;
        }

        /** Builds and validates the configuration. */
        public ServerConfig build() {
            return new ServerConfig(this).validate();
        }
    }
}
