package dev.wschat.server;

import dev.wschat.server.Checks.AtLeast;
import dev.wschat.server.Checks.NotBlank;
import dev.wschat.server.Checks.Port;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options of the Network section: where the server listens, with how many threads, on which transport. */
final class NetworkOptions {
    @NotBlank
    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "0.0.0.0", description = "address to bind")
    String host;
    @Port
    @Option(names = "--port", paramLabel = "N", defaultValue = "8080",
            description = "TCP port, 0 picks a free one; the PORT environment variable sets it too")
    int port;
    @AtLeast(0)
    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "worker event-loop threads, 0 = one per processor")
    int workerThreads;
    @Option(names = "--transport", paramLabel = "T", defaultValue = "auto", converter = TransportConverter.class,
            description = "socket transport: auto (epoll, else nio), epoll, nio or io_uring")
    Transport transport;
    @Option(names = "--no-native", defaultValue = "false", description = "the same as --transport nio")
    boolean noNative;
    /** Parsed into {@link dev.wschat.server.limits.TrustedProxies} by {@link ServerConfig}. */
    @Option(names = "--trusted-proxies", paramLabel = "LIST",
            description = "comma-separated addresses or CIDR blocks of proxies (nginx) whose X-Forwarded-For "
                    + "names the client, for per-address limits and logs; none given trusts none")
    String trustedProxies;

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
}
