package dev.wschat.bench;

import com.google.gson.Gson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.wschat.bench.StormTest.number;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The storm scenario in restart mode against the real server JAR: a script written here SIGTERMs the server and
 * starts it again on the same port and data directory; every client comes back, caught up with
 * {@code recovered:true}, with nothing lost or duplicated, and the bench follows the server's new pid.
 */
class StormRestartIT {
    @TempDir
    Path dir;
    private Path pidFile;

    private static Path serverJar() {
        Path jar = Path.of(System.getProperty("wschat.serverJar", "../server/target/wschat-server.jar"));
        assertThat(jar).as("the server JAR (mvn package builds it)").isRegularFile();
        return jar;
    }

    @AfterEach
    void stopServer() throws IOException, InterruptedException {
        if (pidFile == null || !Files.exists(pidFile)) {
            return;
        }
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        var handle = ProcessHandle.of(pid);
        if (handle.isPresent()) {
            handle.get().destroy();
            if (!handle.get().onExit().completeOnTimeout(null, 15, TimeUnit.SECONDS).join().isAlive()) {
                return;
            }
            handle.get().destroyForcibly();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyClientOfARestartedServerComesBackCaughtUpWithNothingLost() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        pidFile = dir.resolve("server.pid");
        Path data = Files.createDirectories(dir.resolve("data"));
        Path script = dir.resolve("server.sh");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // "start" starts the server in the background; "restart" SIGTERMs it, waits for it to exit (a zombie, not
        // reaped by whoever inherited it, counts as exited), then starts it again
        Files.writeString(script, String.join("\n",
                "#!/bin/sh",
                "set -e",
                "start() {",
                "  nohup '" + java + "' -Xmx256m -jar '" + serverJar().toAbsolutePath() + "' --host 127.0.0.1 --port "
                        + port + " --data-dir '" + data + "' --max-connections 0 --max-connections-per-address 0 "
                        + "--connection-rate 0 --message-rate 0 --drain-timeout 2000 >> '" + dir.resolve("server.log")
                        + "' 2>&1 < /dev/null &",
                "  echo $! > '" + pidFile + "'",
                "}",
                "if [ \"$1\" = restart ]; then",
                "  old=$(cat '" + pidFile + "')",
                "  kill -TERM \"$old\"",
                "  while [ -e /proc/$old ] && ! grep -q '^State:[[:space:]]*Z' /proc/$old/status 2>/dev/null; do "
                        + "sleep 0.05; done",
                "fi",
                "start",
                ""));
        Process p = new ProcessBuilder("/bin/sh", script.toString(), "start").inheritIO().start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        awaitListening(port);
        long firstPid = Long.parseLong(Files.readString(pidFile).trim());

        Path out = dir.resolve("out");
        assertThat(Bench.run("storm", "--url", "ws://127.0.0.1:" + port + "/", "--out", out.toString(), "--name",
                "restart", "--quiet=1", "--clients", "200", "--rooms", "20", "--rooms-per-client", "2", "--senders", "10",
                "--rate", "100", "--mode", "restart", "--restart-cmd", "sh '" + script + "' restart",
                "--server-pid-file", pidFile.toString(), "--warmup", "2", "--after", "1", "--storm-timeout", "40",
                "--backoff-base-ms", "250", "--backoff-max-ms", "2000")).isZero();
        Map<?, ?> r = new Gson().fromJson(Files.readString(out.resolve("restart.json")), Map.class);
        assertThat(number(r, "clients_back")).isEqualTo(200);
        assertThat(number(r, "server_listening_again_ms")).isPositive();
        assertThat(number(r, "messages_acked")).isGreaterThan(100);
        assertThat(number(r, "messages_unacked")).isZero();
        assertThat(number(r, "lost")).isZero();
        assertThat(number(r, "duplicates")).isZero();
        assertThat(number(r, "messages_stored_twice")).isZero();
        assertThat(number(r, "recovered_false")).isZero();
        assertThat(number(r, "restart_cmd_exit")).isZero();
        // the server's pid changed, and the bench followed it
        long secondPid = Long.parseLong(Files.readString(pidFile).trim());
        assertThat(secondPid).isNotEqualTo(firstPid);
        assertThat((List<Object>) r.get("server_pids")).contains((double) firstPid, (double) secondPid);
        // the restart shows up as refused connections while nothing listened
        assertThat(number(r, "failed_attempts")).isPositive();
    }

    private static void awaitListening(int port) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }
}
