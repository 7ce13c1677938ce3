package dev.wschat.server.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;

/**
 * A real nginx (the Debian package) running the project's {@code deploy/nginx.conf} with its {@code listen}
 * port and the {@code server} lines of its upstream rewritten for ports picked by the test; everything else
 * (upgrade headers, timeouts, passive failover) is the shipped file's.
 */
public final class Nginx implements AutoCloseable {
    private static final Pattern LISTEN = Pattern.compile("listen 127\\.0\\.0\\.1:\\d+");
    private static final Pattern UPSTREAM_SERVERS =
            Pattern.compile("(upstream wschat \\{.*?)((?:\\s*server 127\\.0\\.0\\.1:\\d+[^;]*;)+)", Pattern.DOTALL);

    private final Path prefix;
    private final int port;
    private final Process process;

    private Nginx(Path prefix, int port, Process process) {
        this.prefix = prefix;
        this.port = port;
        this.process = process;
    }

    /**
     * Starts nginx in front of nodes on loopback and waits until it accepts connections.
     *
     * @param nodePorts the nodes' ports, in the upstream's order
     * @return the running nginx
     */
    public static Nginx start(List<Integer> nodePorts) throws IOException {
        Path prefix = Files.createTempDirectory("wschat-nginx");
        Files.createDirectories(prefix.resolve("logs"));
        int port = ServerProcess.freePort();
        Path conf = prefix.resolve("nginx.conf");
        Files.writeString(conf, configure(Files.readString(config(), StandardCharsets.UTF_8), port, nodePorts));
        Process process = new ProcessBuilder(binary(), "-p", prefix.toString(), "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(prefix.resolve("logs/stdout.log").toFile()).start();
        Nginx nginx = new Nginx(prefix, port, process);
        await().atMost(Duration.ofSeconds(20)).alias("nginx accepting on port " + port)
                .pollInterval(Duration.ofMillis(20)).until(nginx::accepting);
        return nginx;
    }

    /** The shipped file with the listen port and the upstream's servers replaced; fails if either is missing. */
    static String configure(String shipped, int port, List<Integer> nodePorts) {
        Matcher listen = LISTEN.matcher(shipped);
        if (!listen.find()) {
            throw new IllegalStateException("deploy/nginx.conf has no 'listen 127.0.0.1:PORT'");
        }
        String withPort = listen.replaceFirst("listen 127.0.0.1:" + port);
        Matcher servers = UPSTREAM_SERVERS.matcher(withPort);
        if (!servers.find()) {
            throw new IllegalStateException("deploy/nginx.conf has no 'server 127.0.0.1:PORT ...;' in upstream wschat");
        }
        String options = servers.group(2).trim().split("\\n")[0].replaceFirst("^server 127\\.0\\.0\\.1:\\d+", "")
                .replace(";", "").trim();
        String lines = nodePorts.stream()
                .map(p -> "\n        server 127.0.0.1:" + p + (options.isEmpty() ? "" : " " + options) + ";")
                .collect(Collectors.joining());
        return withPort.substring(0, servers.start(2)) + lines + withPort.substring(servers.end(2));
    }

    /** {@code deploy/nginx.conf}, found from the server module or the repository root. */
    public static Path config() {
        return Installed.deployFile("nginx.conf");
    }

    private static String binary() {
        return Installed.binary("nginx");
    }

    private boolean accepting() throws IOException {
        if (!process.isAlive()) {
            throw new IllegalStateException("nginx exited with " + process.exitValue() + ": "
                    + Files.readString(prefix.resolve("logs/stdout.log")) + readErrorLog());
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The port nginx listens on. */
    public int port() {
        return port;
    }

    /** A WebSocket URI through nginx. */
    public URI uri(String path) {
        return URI.create("ws://127.0.0.1:" + port + path);
    }

    /** nginx's error log so far (for failure messages). */
    public String readErrorLog() {
        try {
            Path log = prefix.resolve("logs/error.log");
            return Files.isRegularFile(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(error log unreadable: " + e + ")";
        }
    }

    @Override
    public void close() {
        process.destroy(); // SIGTERM: nginx's fast shutdown
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
