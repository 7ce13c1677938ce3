package dev.wschat.bench;

import com.google.gson.Gson;

import java.io.IOException;
import java.io.PrintStream;
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

    /** Prints the table of the pairs {@code files[0]} vs {@code files[1]}, {@code files[2]} vs {@code files[3]}, ... */
    static void run(List<Path> files, PrintStream out) throws IOException {
        out.printf(Locale.ROOT, "%-44s %16s %16s %10s%n", "figure", "baseline", "candidate", "ratio");
        for (int i = 0; i + 1 < files.size(); i += 2) {
            Map<?, ?> a = read(files.get(i));
            Map<?, ?> b = read(files.get(i + 1));
            out.println("-- " + a.get("scenario") + ": " + files.get(i) + " vs " + files.get(i + 1));
            for (String k : KEYS) {
                row(out, k, a.get(k), b.get(k));
            }
            List<?> sa = (List<?>) a.get("steps");
            List<?> sb = (List<?>) b.get("steps");
            if (sa != null && sb != null && !sa.isEmpty() && !sb.isEmpty()
                    && "measure".equals(((Map<?, ?>) sa.get(sa.size() - 1)).get("name"))) {
                Map<?, ?> ma = (Map<?, ?>) sa.get(sa.size() - 1);
                Map<?, ?> mb = (Map<?, ?>) sb.get(sb.size() - 1);
                for (String k : STEP_KEYS) {
                    row(out, k, ma.get(k), mb.get(k));
                }
            }
            if (sa != null && sb != null && "ramp".equals(a.get("scenario"))) {
                row(out, "saturation step p99_ms", best(sa, "p99_ms"), best(sb, "p99_ms"));
                row(out, "saturation step server_cpu_us_per_delivery", best(sa, "server_cpu_us_per_delivery"),
                        best(sb, "server_cpu_us_per_delivery"));
                row(out, "saturation step bench_cpu_us_per_delivery", best(sa, "bench_cpu_us_per_delivery"),
                        best(sb, "bench_cpu_us_per_delivery"));
            }
        }
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

    /**
     * One row. A figure the run marked {@code n/a} (see {@link Report#perConnection}) prints as {@code n/a}, with
     * no ratio and its reason beneath: a number nobody can trust is not shown.
     */
    static void row(PrintStream out, String key, Object a, Object b) {
        boolean naA = notAvailable(a);
        boolean naB = notAvailable(b);
        if (!(a instanceof Number) && !(b instanceof Number) && !naA && !naB) {
            return;
        }
        String x = a instanceof Number n ? String.format(Locale.ROOT, "%,.2f", n.doubleValue()) : naA ? "n/a" : "-";
        String y = b instanceof Number n ? String.format(Locale.ROOT, "%,.2f", n.doubleValue()) : naB ? "n/a" : "-";
        String ratio = a instanceof Number n && b instanceof Number m && n.doubleValue() != 0
                ? String.format(Locale.ROOT, "%.2fx", m.doubleValue() / n.doubleValue()) : naA || naB ? "n/a" : "-";
        out.printf(Locale.ROOT, "%-44s %16s %16s %10s%n", key, x, y, ratio);
        if (naA) {
            out.println("    baseline " + a);
        }
        if (naB) {
            out.println("    candidate " + b);
        }
    }

    private static boolean notAvailable(Object v) {
        return v instanceof String s && s.startsWith(Report.NOT_AVAILABLE);
    }

    private static Map<?, ?> read(Path p) throws IOException {
        return new Gson().fromJson(Files.readString(p, StandardCharsets.UTF_8), Map.class);
    }
}
