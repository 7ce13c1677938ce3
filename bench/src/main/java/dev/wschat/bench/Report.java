package dev.wschat.bench;

import com.google.gson.GsonBuilder;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A run's result: printed as a table, written as {@code <name>.json} and as {@code <name>.html}, a
 * self-contained page with SVG charts of latency percentiles and throughput over time.
 */
final class Report {
    private final String scenario;
    private final Map<String, Object> result = new LinkedHashMap<>();
    private final List<Map<String, Object>> steps = new ArrayList<>();
    private List<Sampler.Point> timeline = List.of();
    private final List<Chart> charts = new ArrayList<>();

    /** A chart of a scenario's own series over time, drawn after the common ones. */
    record Chart(String title, double[] t, String[] names, double[][] series) {
    }

    /** What a per-connection figure reads when it cannot be trusted: this, then the reason. */
    static final String NOT_AVAILABLE = "n/a";

    Report(String scenario, Map<String, Object> options) {
        this.scenario = scenario;
        result.put("scenario", scenario);
        result.put("started", Instant.now().toString());
        result.put("options", new LinkedHashMap<>(options));
        result.put("host_cpus", Runtime.getRuntime().availableProcessors());
        result.put("load_average_at_start", loadAverage());
    }

    /**
     * Memory per connection from readings before and after the connections opened: bytes (a Double), or
     * {@code "n/a: <reason>"} when the figure cannot be trusted. Memory that fell while connections opened
     * means the process was still giving back memory from earlier work (a ramp run before on the same
     * server): the difference says nothing about the connections, so the figure is not given.
     */
    static Object perConnection(String what, long before, long after, int connections) {
        if (before < 0 || after < 0) {
            return NOT_AVAILABLE + ": " + what + " could not be read";
        }
        if (connections < 1) {
            return NOT_AVAILABLE + ": no connection was open";
        }
        if (after < before) {
            return String.format(Locale.ROOT, "%s: %s fell by %,d bytes while %,d connections opened (memory from "
                    + "earlier work still being returned); measure on a fresh server", NOT_AVAILABLE, what,
                    before - after, connections);
        }
        return (double) (after - before) / connections;
    }

    void put(String key, Object value) {
        result.put(key, value);
    }

    Object get(String key) {
        return result.get(key);
    }

    void steps(List<Fanout.Step> list) {
        for (Fanout.Step s : list) {
            steps.add(Fanout.stepJson(s));
        }
    }

    /** Adds a chart of {@code series} (one row per name) over {@code t} seconds. */
    void chart(String title, double[] t, String[] names, double[]... series) {
        charts.add(new Chart(title, t, names, series));
    }

    void timeline(List<Sampler.Point> points) {
        this.timeline = List.copyOf(points);
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Prints the table and writes the JSON and HTML files under {@code dir}; returns the JSON path. */
    Path write(Path dir, String name) throws IOException {
        result.put("load_average_at_end", loadAverage());
        result.put("steps", steps);
        List<Map<String, Object>> tl = new ArrayList<>();
        for (Sampler.Point p : timeline) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("t", p.t());
            m.put("phase", p.phase());
            m.put("connections", p.connections());
            m.put("messages_per_sec", Math.round(p.messagesPerSec()));
            m.put("deliveries_per_sec", Math.round(p.deliveriesPerSec()));
            m.put("p50_ms", p.p50());
            m.put("p90_ms", p.p90());
            m.put("p99_ms", p.p99());
            m.put("p999_ms", p.p999());
            m.put("max_ms", p.max());
            tl.add(m);
        }
        result.put("timeline", tl);
        printTable();
        Files.createDirectories(dir);
        Path json = dir.resolve(name + ".json");
        Files.writeString(json, new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create()
                .toJson(result), StandardCharsets.UTF_8);
        Path html = dir.resolve(name + ".html");
        Files.writeString(html, html(name), StandardCharsets.UTF_8);
        System.out.println("wrote " + json + " and " + html);
        return json;
    }

    private void printTable() {
        System.out.println();
        System.out.println("== " + scenario + " result");
        for (Map.Entry<String, Object> e : result.entrySet()) {
            if (e.getKey().equals("steps") || e.getKey().endsWith("timeline") || e.getKey().equals("options")) {
                continue;
            }
            System.out.printf(Locale.ROOT, "  %-34s %s%n", e.getKey(), fmt(e.getValue()));
        }
        if (!steps.isEmpty()) {
            System.out.printf(Locale.ROOT, "  %-9s %12s %12s %9s %9s %9s %9s %9s %8s %6s %9s %9s %s%n", "step", "offered/s",
                    "delivered/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "lost", "dup",
                    "srv us/d", "bench us/d", "ok");
            for (Map<String, Object> s : steps) {
                System.out.printf(Locale.ROOT, "  %-9s %,12d %,12d %9.2f %9.2f %9.2f %9.2f %9.2f %8d %6d %9.2f %9.2f %s%n",
                        s.get("name"), (Long) s.get("offered_deliveries_per_sec"), (Long) s.get("deliveries_per_sec"),
                        (Double) s.get("p50_ms"), (Double) s.get("p90_ms"), (Double) s.get("p99_ms"),
                        (Double) s.get("p999_ms"), (Double) s.get("max_ms"), (Long) s.get("lost"),
                        (Long) s.get("duplicates"), (Double) s.get("server_cpu_us_per_delivery"),
                        (Double) s.get("bench_cpu_us_per_delivery"), (Boolean) s.get("sustainable") ? "yes" : "NO");
            }
        }
    }

    private static String fmt(Object v) {
        if (v instanceof Double d) {
            return String.format(Locale.ROOT, "%,.2f", d);
        }
        if (v instanceof Long || v instanceof Integer) {
            return String.format(Locale.ROOT, "%,d", ((Number) v).longValue());
        }
        return String.valueOf(v);
    }

    // ------------------------------------------------------------------ HTML

    private String html(String name) {
        StringBuilder sb = new StringBuilder(64 * 1024);
        sb.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>wschat bench: ").append(esc(name))
                .append("</title><style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}"
                        + "table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:3px 8px;"
                        + "text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
                        + ".bad{color:#b00}svg{background:#fff;border:1px solid #ddd;margin:8px 0}"
                        + "</style></head><body>");
        sb.append("<h1>wschat bench: ").append(esc(scenario)).append("</h1><p>").append(esc(name)).append("</p>");
        sb.append("<table>");
        for (Map.Entry<String, Object> e : result.entrySet()) {
            if (e.getKey().equals("steps") || e.getKey().endsWith("timeline")) {
                continue;
            }
            sb.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(esc(fmt(e.getValue())))
                    .append("</td></tr>");
        }
        sb.append("</table>");
        if (!timeline.isEmpty()) {
            double[] t = new double[timeline.size()];
            double[][] lat = new double[4][timeline.size()];
            double[][] thr = new double[2][timeline.size()];
            double[][] conns = new double[1][timeline.size()];
            for (int i = 0; i < timeline.size(); i++) {
                Sampler.Point p = timeline.get(i);
                t[i] = p.t();
                lat[0][i] = p.p50();
                lat[1][i] = p.p90();
                lat[2][i] = p.p99();
                lat[3][i] = p.max();
                thr[0][i] = p.deliveriesPerSec();
                thr[1][i] = p.messagesPerSec();
                conns[0][i] = p.connections();
            }
            sb.append("<h2>Latency per second (ms, log scale)</h2>");
            chart(sb, t, lat, new String[] {"p50", "p90", "p99", "max"}, true);
            sb.append("<h2>Throughput per second</h2>");
            chart(sb, t, new double[][] {thr[0]}, new String[] {"deliveries/s"}, false);
            chart(sb, t, new double[][] {thr[1]}, new String[] {"messages sent/s"}, false);
            sb.append("<h2>Connections</h2>");
            chart(sb, t, conns, new String[] {"open connections"}, false);
        }
        for (Chart c : charts) {
            if (c.t().length > 0) {
                sb.append("<h2>").append(esc(c.title())).append("</h2>");
                chart(sb, c.t(), c.series(), c.names(), false);
            }
        }
        if (!steps.isEmpty()) {
            sb.append("<h2>Steps</h2><table><tr>");
            for (String h : new String[] {"step", "offered/s", "delivered/s", "p50 ms", "p90 ms", "p99 ms",
                    "p99.9 ms", "max ms", "lost", "dup", "server µs/delivery", "bench µs/delivery", "sustainable"}) {
                sb.append("<th>").append(h).append("</th>");
            }
            sb.append("</tr>");
            for (Map<String, Object> s : steps) {
                boolean ok = (Boolean) s.get("sustainable");
                sb.append(ok ? "<tr>" : "<tr class=bad>");
                for (String k : new String[] {"name", "offered_deliveries_per_sec", "deliveries_per_sec", "p50_ms",
                        "p90_ms", "p99_ms", "p999_ms", "max_ms", "lost", "duplicates", "server_cpu_us_per_delivery",
                        "bench_cpu_us_per_delivery", "sustainable"}) {
                    sb.append("<td>").append(esc(fmt(s.get(k)))).append("</td>");
                }
                sb.append("</tr>");
            }
            sb.append("</table>");
        }
        sb.append("</body></html>\n");
        return sb.toString();
    }

    private static final String[] COLORS = {"#1f77b4", "#2ca02c", "#d62728", "#7f7f7f"};

    /** One line chart as inline SVG: x is seconds, one polyline per series. */
    private static void chart(StringBuilder sb, double[] x, double[][] ys, String[] names, boolean log) {
        int w = 900;
        int h = 260;
        int left = 70;
        int right = 20;
        int top = 20;
        int bottom = 40;
        double xmax = Math.max(1, x[x.length - 1]);
        double ymax = 0;
        double ymin = Double.MAX_VALUE;
        for (double[] y : ys) {
            for (double v : y) {
                ymax = Math.max(ymax, v);
                if (v > 0) {
                    ymin = Math.min(ymin, v);
                }
            }
        }
        if (ymax <= 0) {
            ymax = 1;
        }
        double lo = log ? Math.pow(10, Math.floor(Math.log10(Math.min(ymin, ymax)))) : 0;
        double hi = log ? Math.pow(10, Math.ceil(Math.log10(ymax))) : niceCeil(ymax);
        if (log && hi <= lo) {
            hi = lo * 10;
        }
        sb.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", w, h, w, h));
        // grid and y labels
        List<Double> ticks = new ArrayList<>();
        if (log) {
            for (double v = lo; v <= hi * 1.0001; v *= 10) {
                ticks.add(v);
            }
        } else {
            for (int i = 0; i <= 4; i++) {
                ticks.add(hi * i / 4);
            }
        }
        for (double v : ticks) {
            double yy = yPos(v, lo, hi, log, top, h - bottom);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>", left, w - right, yy, yy,
                    left - 6, yy + 4, esc(label(v))));
        }
        for (int i = 0; i <= 10; i++) {
            double xv = xmax * i / 10;
            double xx = left + (w - left - right) * xv / xmax;
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">"
                    + "%.0fs</text>", xx, h - bottom + 16, xv));
        }
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#999\"/>", left,
                w - right, h - bottom, h - bottom));
        for (int s = 0; s < ys.length; s++) {
            sb.append("<polyline fill=\"none\" stroke-width=\"1.6\" stroke=\"").append(COLORS[s % COLORS.length])
                    .append("\" points=\"");
            for (int i = 0; i < x.length; i++) {
                double v = ys[s][i];
                if (log && v <= 0) {
                    v = lo;
                }
                double xx = left + (w - left - right) * x[i] / xmax;
                sb.append(String.format(Locale.ROOT, "%.1f,%.1f ", xx, yPos(v, lo, hi, log, top, h - bottom)));
            }
            sb.append("\"/>");
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"3\" fill=\"%s\"/>"
                            + "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>", left + 10 + s * 130, h - 12,
                    COLORS[s % COLORS.length], left + 26 + s * 130, h - 8, esc(names[s])));
        }
        sb.append("</svg>");
    }

    private static double yPos(double v, double lo, double hi, boolean log, int top, int bottom) {
        double f = log ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))
                : v / hi;
        return bottom - (bottom - top) * Math.min(1, Math.max(0, f));
    }

    private static double niceCeil(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    /** An axis label: up to four significant digits, so neighbouring ticks (1.5k, 2k, 2.5k) never read alike. */
    static String label(double v) {
        if (v >= 1_000_000) {
            return compact(v / 1e6) + "M";
        }
        if (v >= 1_000) {
            return compact(v / 1e3) + "k";
        }
        return compact(v);
    }

    private static String compact(double v) {
        if (v == 0) {
            return "0";
        }
        return new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
