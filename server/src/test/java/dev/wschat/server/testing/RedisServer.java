package dev.wschat.server.testing;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A real {@code redis-server} (the Debian package) on a free loopback port, configured with the project's
 * {@code deploy/redis.conf} and a fresh directory for its append-only file; {@link #kill()} and {@link #restart()}
 * keep the port and the directory, so what Redis had acknowledged is there after a {@code kill -9}.
 *
 * <p>As a JUnit 5 extension ({@link #beforeEachTest}, {@link #startedByTest}) it is stopped after each test. The
 * nodes on it are {@link RunningServer} extensions registered after it ({@code @Order(1)} on the Redis,
 * {@code @Order(2)} on the nodes): JUnit runs the {@code afterEach} callbacks in reverse order, so every node stops
 * before its Redis does, as in production.
 */
public final class RedisServer implements AutoCloseable, BeforeEachCallback, AfterEachCallback {
    private final Path dir;
    private final int port;
    private final boolean startBeforeEach;
    private Process process;

    private RedisServer(Path dir, int port, boolean startBeforeEach) {
        this.dir = dir;
        this.port = port;
        this.startBeforeEach = startBeforeEach;
    }

    /** A Redis started before each test and stopped after it; declare it as a {@code @RegisterExtension} field. */
    public static RedisServer beforeEachTest() {
        return fixture(true);
    }

    /**
     * A Redis the test starts itself with {@link #startNow()} (e.g. after a node that must find it down); its port
     * and URL are known before. It is stopped after the test; declare it as a {@code @RegisterExtension} field.
     */
    public static RedisServer startedByTest() {
        return fixture(false);
    }

    private static RedisServer fixture(boolean startBeforeEach) {
        try {
            return new RedisServer(Files.createTempDirectory("wschat-redis"), ServerProcess.freePort(),
                    startBeforeEach);
        } catch (IOException e) {
            throw new UncheckedIOException("creating a directory for redis-server", e);
        }
    }

    /**
     * Starts this fixture's Redis (made with {@link #startedByTest}) and waits until it accepts connections.
     *
     * @return this fixture, started
     */
    public RedisServer startNow() throws IOException {
        if (process != null) {
            throw new IllegalStateException("startNow() already called, or Redis started before the test");
        }
        launch();
        return this;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        if (startBeforeEach) {
            launch();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        close();
    }

    /** Starts Redis on a free port with {@code deploy/redis.conf} and waits until it accepts connections. */
    public static RedisServer start() throws IOException {
        RedisServer redis = new RedisServer(Files.createTempDirectory("wschat-redis"), ServerProcess.freePort(), false);
        redis.launch();
        return redis;
    }

    /** Starts Redis on a given port (one a server was told to expect before Redis was there). */
    public static RedisServer startOn(int port) throws IOException {
        RedisServer redis = new RedisServer(Files.createTempDirectory("wschat-redis"), port, false);
        redis.launch();
        return redis;
    }

    /** {@code deploy/redis.conf}, found from the server module or the repository root. */
    public static Path config() {
        return Installed.deployFile("redis.conf");
    }

    private static String binary() {
        return Installed.binary("redis-server");
    }

    private void launch() throws IOException {
        List<String> command = new ArrayList<>(List.of(binary(), config().toString(),
                "--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
                "--logfile", dir.resolve("redis.log").toString()));
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.out").toFile()).start();
        await().atMost(Duration.ofSeconds(20)).alias("redis-server accepting on port " + port)
                .pollInterval(Duration.ofMillis(20)).until(this::accepting);
    }

    private boolean accepting() {
        if (!process.isAlive()) {
            throw new IllegalStateException("redis-server exited with " + process.exitValue() + "; see " + dir);
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The port Redis listens on. */
    public int port() {
        return port;
    }

    /** The URL the server's {@code --redis} option takes. */
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** The directory of the append-only file and the log. */
    public Path dir() {
        return dir;
    }

    /** {@code kill -9}: Redis gets no chance to write anything more. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("redis-server did not die");
        }
    }

    /** Starts Redis again on the same port and directory (after {@link #kill()}), replaying its append-only file. */
    public void restart() throws IOException {
        if (process.isAlive()) {
            throw new IllegalStateException("redis-server is still running");
        }
        launch();
    }

    /** Whether the process is running. */
    public boolean alive() {
        return process != null && process.isAlive();
    }

    /** Stops Redis ({@code kill -9}); nothing when it was never started. */
    @Override
    public void close() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
