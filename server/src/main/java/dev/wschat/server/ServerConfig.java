package dev.wschat.server;

import dev.wschat.protocol.Limits;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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

    private final String host;
    private final int port;
    private final int workerThreads;
    private final int maxMessageBytes;
    private final int maxContentLength;
    private final int maxRoomsPerConnection;
    private final int announceLimit;
    private final Duration drainTimeout;
    private final boolean preferNative;

    private ServerConfig(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.workerThreads = b.workerThreads;
        this.maxMessageBytes = b.maxMessageBytes;
        this.maxContentLength = b.maxContentLength;
        this.maxRoomsPerConnection = b.maxRoomsPerConnection;
        this.announceLimit = b.announceLimit;
        this.drainTimeout = b.drainTimeout;
        this.preferNative = b.preferNative;
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
        b.preferNative = preferNative;
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

    /** Whether to use the native epoll transport when it is available. */
    public boolean preferNative() {
        return preferNative;
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
        return this;
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
                b.preferNative(false);
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
                case "--max-message-bytes" -> b.maxMessageBytes(parseInt(name, value));
                case "--max-content-length" -> b.maxContentLength(parseInt(name, value));
                case "--max-rooms" -> b.maxRoomsPerConnection(parseInt(name, value));
                case "--announce-limit" -> b.announceLimit(parseInt(name, value));
                case "--drain-timeout" -> b.drainTimeout(Duration.ofMillis(parseInt(name, value)));
                default -> throw new IllegalStateException("unhandled option " + name);
            }
        }
        return b.build();
    }

    private static final List<String> OPTIONS = List.of("--host", "--port", "--threads", "--max-message-bytes",
            "--max-content-length", "--max-rooms", "--announce-limit", "--drain-timeout");

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
        lines.add("  --no-native                 use NIO even where the native epoll transport is available");
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
                + ", drainTimeout=" + drainTimeout + ", preferNative=" + preferNative + "}";
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
        private boolean preferNative = true;

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

        /** Sets whether to prefer the native transport. */
        public Builder preferNative(boolean preferNative) {
            this.preferNative = preferNative;
            return this;
        }

        /** Builds and validates the configuration. */
        public ServerConfig build() {
            return new ServerConfig(this).validate();
        }
    }
}
