package dev.wschat.server.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;

/** The real server JAR run as a separate process, for tests of what only a process shows (signals, exit codes). */
public final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on wss?://[^:]+:(\\d+)/");

    private final Process process;
    private final List<String> output = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Integer> port = new CompletableFuture<>();

    private ServerProcess(Process process) {
        this.process = process;
        Thread reader = new Thread(this::readOutput, "server-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** The JAR built by {@code mvn package}: {@code server/target/wschat-server.jar}. */
    public static Path jar() {
        String configured = System.getProperty("wschat.serverJar");
        Path jar = configured != null ? Path.of(configured) : Path.of("target", "wschat-server.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("server JAR not built: " + jar.toAbsolutePath() + " (run mvn package)");
        }
        return jar;
    }

    /**
     * Starts {@code java -jar wschat-server.jar ARGS} with extra environment variables.
     *
     * @param env  added to the environment
     * @param args the server's options
     * @return the running process
     */
    public static ServerProcess start(Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx256m", "-jar", jar().toString()));
        if (!List.of(args).contains("--data-dir")) {
            command.addAll(List.of("--data-dir", RunningServer.freshDataDir().toString()));
        }
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("PORT");
        builder.environment().putAll(env);
        return new ServerProcess(builder.start());
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A port that was free a moment ago. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private void readOutput() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                output.add(line);
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    port.complete(Integer.parseInt(m.group(1)));
                }
            }
        } catch (IOException e) {
            port.completeExceptionally(e);
        }
        port.completeExceptionally(new IllegalStateException("server exited before listening: " + output));
    }

    /** Waits for the start-up line and returns the port it names. */
    public int awaitPort() {
        return port.orTimeout(30, TimeUnit.SECONDS).join();
    }

    /** Waits until a line containing {@code text} was read from the process (it may have exited); fails after 30 s. */
    public void awaitOutput(String text) {
        await().atMost(Duration.ofSeconds(30)).alias("a line with \"" + text + "\" in the output")
                .until(() -> output().stream().anyMatch(line -> line.contains(text)));
    }

    /** The WebSocket URI of a path on the running server. */
    public URI uri(String path) {
        return URI.create("ws://127.0.0.1:" + awaitPort() + path);
    }

    /** Sends SIGTERM; unlike {@link Process#destroy()} this keeps the output readable to the end. */
    public void terminate() {
        process.toHandle().destroy();
    }

    /** The process id. */
    public long pid() {
        return process.pid();
    }

    /** Waits for the process to exit and returns its exit code; fails after {@code timeout}. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("server still running after " + timeout + "; output: " + output);
        }
        return process.exitValue();
    }

    /** Every line the process printed so far. */
    public List<String> output() {
        return List.copyOf(output);
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
