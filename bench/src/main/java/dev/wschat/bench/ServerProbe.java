package dev.wschat.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reads the server process from outside: CPU time and resident memory from {@code /proc/PID}, heap and
 * direct-buffer memory from its Prometheus {@code /metrics} where it has one. Every reading is optional:
 * -1 when not available.
 */
final class ServerProbe {
    /** Clock ticks per second of {@code /proc/PID/stat} (USER_HZ, 100 on Linux). */
    private static final double TICKS = 100.0;

    private final long pid;
    private final URI metrics;
    private final HttpClient http;

    ServerProbe(long pid, String metricsUrl) {
        this.pid = pid;
        this.metrics = metricsUrl == null || metricsUrl.isBlank() ? null : URI.create(metricsUrl);
        this.http = metrics == null ? null : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    boolean hasPid() {
        return pid > 0;
    }

    /** The server's user plus system CPU time in seconds, or -1. */
    double cpuSeconds() {
        return cpuSeconds(pid);
    }

    /** A process's user plus system CPU time in seconds, or -1 when it cannot be read. */
    static double cpuSeconds(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The server's resident set size in bytes, or -1. */
    long rssBytes() {
        return statusKb("VmRSS:") * 1024;
    }

    private long statusKb(String field) {
        if (pid <= 0) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** The server's soft open-file limit, or -1. */
    long fdLimit() {
        if (pid <= 0) {
            return -1;
        }
        return limitOf(Path.of("/proc", Long.toString(pid), "limits"));
    }

    /** This process's soft open-file limit, or -1. */
    static long ownFdLimit() {
        return limitOf(Path.of("/proc/self/limits"));
    }

    private static long limitOf(Path limits) {
        try {
            for (String line : Files.readAllLines(limits)) {
                if (line.startsWith("Max open files")) {
                    String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return "unlimited".equals(soft) ? Long.MAX_VALUE : Long.parseLong(soft);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Whether the server is a JVM (so {@code jcmd} can ask it to collect garbage). */
    boolean isJava() {
        if (pid <= 0) {
            return false;
        }
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "exe")).toString().contains("java");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Asks a JVM server for a full GC so heap readings show live data only; bounded to 30 s. */
    void fullGc() {
        if (!isJava()) {
            return;
        }
        try {
            Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
            Process p = new ProcessBuilder(List.of(jcmd.toString(), Long.toString(pid), "GC.run"))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            // no jcmd: heap readings include garbage
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Heap and direct memory in use per the server's {@code /metrics}, or null when unavailable. */
    long[] jvmMemory() {
        if (metrics == null) {
            return null;
        }
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return null;
            }
            long heap = 0;
            long direct = -1;
            for (String line : r.body().split("\n")) {
                if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                    heap += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                } else if (line.startsWith("jvm_buffer_memory_used_bytes{") && line.contains("id=\"direct\"")) {
                    direct = (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return new long[] {heap, direct};
        } catch (IOException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
