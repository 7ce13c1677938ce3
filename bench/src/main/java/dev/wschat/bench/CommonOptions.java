package dev.wschat.bench;

import dev.wschat.protocol.Dialect;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/** The options every scenario takes: where the server is, how to reach it, where the result goes. */
final class CommonOptions {
    @Option(names = "--url", defaultValue = "ws://127.0.0.1:8080/", paramLabel = "URL[,URL...]",
            description = "server to load, loopback only; several nodes as a comma list, clients spread over them "
                    + "round-robin (default: ${DEFAULT-VALUE})")
    String url;

    @Option(names = "--dialect", defaultValue = "2", paramLabel = "1|2", converter = DialectConverter.class,
            description = "2 = wschat.v2 subprotocol, 1 = the tutorial's protocol, no rooms (default: 2)")
    Dialect dialect;

    @Option(names = "--threads", defaultValue = "2", paramLabel = "N",
            description = "client event-loop threads (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--transport", defaultValue = "auto", paramLabel = "T",
            description = "io_uring, epoll or nio; auto = the first of them available here (default: ${DEFAULT-VALUE})")
    String transport;

    @Option(names = "--source-addresses", defaultValue = "1", paramLabel = "K",
            description = "spread connections over 127.0.0.2 .. 127.0.0.(1+K) (default: ${DEFAULT-VALUE})")
    int sourceAddresses;

    @Option(names = "--server-pid", defaultValue = "0", paramLabel = "PID",
            description = "read the server's CPU time and resident memory from /proc/PID")
    long serverPid;

    @Option(names = "--metrics-url", paramLabel = "URL",
            description = "read heap and direct memory from the server's /metrics")
    String metricsUrl;

    @Option(names = "--out", defaultValue = "bench-results", paramLabel = "DIR",
            description = "directory for NAME.json and NAME.html (default: ${DEFAULT-VALUE})")
    String out;

    @Option(names = "--name", paramLabel = "NAME", description = "file name of the result (default: the scenario)")
    String name;

    @Option(names = "--quiet", defaultValue = "0", paramLabel = "0|1",
            description = "1 = no progress lines (default: ${DEFAULT-VALUE})")
    int quiet;

    /** The servers' addresses ({@code --url}, a comma list), each refused unless it is a {@code ws://} loopback URL. */
    List<URI> uris() {
        List<URI> list = new ArrayList<>();
        for (String part : url.split(",")) {
            if (!part.isBlank()) {
                list.add(uri(part.trim()));
            }
        }
        if (list.isEmpty()) {
            throw new IllegalArgumentException("--url must name at least one server");
        }
        return list;
    }

    private static URI uri(String url) {
        URI u;
        try {
            u = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--url is not a URL: " + url);
        }
        if (!"ws".equals(u.getScheme()) || u.getHost() == null) {
            throw new IllegalArgumentException("--url must be ws://HOST:PORT/PATH: " + u);
        }
        if (!u.getHost().startsWith("127.") && !u.getHost().equals("localhost")) {
            throw new IllegalArgumentException("--url must be a loopback address (127.0.0.0/8): " + u.getHost());
        }
        return u;
    }

    boolean isQuiet() {
        return quiet == 1;
    }

    /** {@code --dialect}: 1 or {@code tutorial}, 2 or {@code v2}. */
    static final class DialectConverter implements ITypeConverter<Dialect> {
        @Override
        public Dialect convert(String value) {
            return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "1", "tutorial" -> Dialect.TUTORIAL;
                case "2", "v2", Dialect.V2_SUBPROTOCOL -> Dialect.V2;
                default -> throw new IllegalArgumentException("must be 1 (the tutorial's protocol) or 2 (wschat.v2)");
            };
        }
    }
}
