package dev.wschat.bench;

import com.google.gson.Gson;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --wire socketio} against the real Socket.IO peer ({@code bench/peer/socketio-server.js}, one node, in-memory
 * adapter): every member gets every message once and in order, the sender included. Needs Node and the peer's
 * packages ({@code npm ci} in {@code bench/peer/}, which {@code scripts/test.sh} runs); fails without them.
 */
class SocketIoPeerTest {
    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    private static Process peer;
    private static int port;

    @TempDir
    Path out;

    @BeforeAll
    static void startPeer() throws Exception {
        Path dir = peerDir();
        assertThat(dir.resolve("node_modules/socket.io")).as("the peer's packages: run (cd bench/peer && npm ci)")
                .isDirectory();
        ProcessBuilder b = new ProcessBuilder("node", "socketio-server.js").directory(dir.toFile())
                .redirectErrorStream(true);
        b.environment().put("PORT", "0");
        // a REDIS_URL in the test run's environment must not turn the peer into a cluster node
        b.environment().remove("REDIS_URL");
        peer = b.start();
        peer.getOutputStream().close();
        CompletableFuture<Integer> listening = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(peer.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        listening.complete(Integer.parseInt(m.group(1)));
                    }
                }
                listening.completeExceptionally(new IllegalStateException("the Socket.IO peer exited: " + peer.waitFor()));
            } catch (IOException | InterruptedException e) {
                listening.completeExceptionally(e);
            }
        }, "socketio-peer-output");
        reader.setDaemon(true);
        reader.start();
        port = listening.get(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stopPeer() throws InterruptedException {
        if (peer != null) {
            peer.destroy();
            if (!peer.waitFor(10, TimeUnit.SECONDS)) {
                peer.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** {@code bench/peer}, from the bench module (where Maven runs the tests) or the repository root. */
    private static Path peerDir() {
        for (Path p : List.of(Path.of("peer"), Path.of("bench", "peer"))) {
            if (Files.isRegularFile(p.resolve("socketio-server.js"))) {
                return p.toAbsolutePath();
            }
        }
        throw new IllegalStateException("bench/peer/socketio-server.js not found from " + Path.of("").toAbsolutePath());
    }

    @Test
    void fanoutInTwoRoomsLosesNothingAndCountsTheSender() throws Exception {
        assertThat(Bench.run(new String[] {"fanout", "--wire", "socketio", "--url", "ws://127.0.0.1:" + port + "/",
                "--out", out.toString(), "--name", "socketio", "--quiet=1", "--clients", "60", "--rooms", "2",
                "--senders", "4", "--rate", "3000", "--duration", "2", "--warmup", "1",
                "--cpu-pid", "peer=" + peer.pid()})).isZero();
        Map<?, ?> r = new Gson().fromJson(Files.readString(out.resolve("socketio.json")), Map.class);
        assertThat(r.get("wire")).isEqualTo("socketio");
        // Socket.IO's io.to(room).emit reaches the sender too: 30 per room
        assertThat(((Number) r.get("recipients_per_message")).doubleValue()).isEqualTo(30.0);
        List<?> steps = (List<?>) r.get("steps");
        Map<?, ?> step = (Map<?, ?>) steps.get(steps.size() - 1);
        BenchSmokeTest.assertNothingLost(step);
        assertThat(((Number) ((Map<?, ?>) step.get("process_cpu_seconds")).get("peer")).doubleValue()).isPositive();
    }
}
