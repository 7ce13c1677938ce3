package dev.wschat.bench;

import com.google.gson.Gson;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code compare BASELINE.json CANDIDATE.json [...]}: prints the figures of result pairs side by side with their ratio. */
final class Compare {
    private static final List<String> KEYS = List.of("sustainable_deliveries_per_sec", "handshakes_per_sec",
            "connections_open", "failures", "handshake_p99_ms", "server_rss_per_connection_bytes",
            "server_heap_per_connection_bytes", "server_direct_per_connection_bytes", "connection_failures",
            "connect_seconds");
    private static final List<String> STEP_KEYS = List.of("deliveries_per_sec", "p50_ms", "p99_ms", "max_ms",
            "lost", "server_cpu_us_per_delivery", "bench_cpu_us_per_delivery");

    private Compare() {
    }

    static int run(String[] args) throws IOException {
        if (args.length < 3 || (args.length - 1) % 2 != 0) {
            throw new IllegalArgumentException("usage: compare BASELINE.json CANDIDATE.json [BASELINE2.json CANDIDATE2.json ...]");
        }
        System.out.printf(Locale.ROOT, "%-44s %16s %16s %10s%n", "figure", "baseline", "candidate", "ratio");
        for (int i = 1; i + 1 < args.length; i += 2) {
            Map<?, ?> a = read(Path.of(args[i]));
            Map<?, ?> b = read(Path.of(args[i + 1]));
            System.out.println("-- " + a.get("scenario") + ": " + args[i] + " vs " + args[i + 1]);
            for (String k : KEYS) {
                row(k, a.get(k), b.get(k));
            }
            List<?> sa = (List<?>) a.get("steps");
            List<?> sb = (List<?>) b.get("steps");
            if (sa != null && sb != null && !sa.isEmpty() && !sb.isEmpty()
                    && "measure".equals(((Map<?, ?>) sa.get(sa.size() - 1)).get("name"))) {
                Map<?, ?> ma = (Map<?, ?>) sa.get(sa.size() - 1);
                Map<?, ?> mb = (Map<?, ?>) sb.get(sb.size() - 1);
                for (String k : STEP_KEYS) {
                    row(k, ma.get(k), mb.get(k));
                }
            }
            if (sa != null && sb != null && "ramp".equals(a.get("scenario"))) {
                row("saturation step p99_ms", best(sa, "p99_ms"), best(sb, "p99_ms"));
                row("saturation step server_cpu_us_per_delivery", best(sa, "server_cpu_us_per_delivery"),
                        best(sb, "server_cpu_us_per_delivery"));
                row("saturation step bench_cpu_us_per_delivery", best(sa, "bench_cpu_us_per_delivery"),
                        best(sb, "bench_cpu_us_per_delivery"));
            }
        }
        return 0;
    }

    /** A figure of the sustainable step with the most deliveries per second. */
    private static Object best(List<?> steps, String key) {
        Map<?, ?> best = null;
        for (Object o : steps) {
            Map<?, ?> s = (Map<?, ?>) o;
            if (Boolean.TRUE.equals(s.get("sustainable")) && (best == null
                    || ((Number) s.get("deliveries_per_sec")).doubleValue()
                    > ((Number) best.get("deliveries_per_sec")).doubleValue())) {
                best = s;
            }
        }
        return best == null ? null : best.get(key);
    }

    private static void row(String key, Object a, Object b) {
        if (!(a instanceof Number) && !(b instanceof Number)) {
            return;
        }
        double x = a instanceof Number n ? n.doubleValue() : Double.NaN;
        double y = b instanceof Number n ? n.doubleValue() : Double.NaN;
        String ratio = x != 0 && !Double.isNaN(x) && !Double.isNaN(y) ? String.format(Locale.ROOT, "%.2fx", y / x) : "-";
        System.out.printf(Locale.ROOT, "%-44s %,16.2f %,16.2f %10s%n", key, x, y, ratio);
    }

    private static Map<?, ?> read(Path p) throws IOException {
        return new Gson().fromJson(Files.readString(p, StandardCharsets.UTF_8), Map.class);
    }
}
