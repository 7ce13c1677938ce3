package dev.wschat.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The house drawing of the server's packages, read from the compiled classes by the JDK's {@code jdeps}: no package
 * below the root depends on the root (each gets a settings record instead of {@code ServerConfig}), and no arrow
 * between packages runs back into a cycle.
 */
class PackageCyclesTest {
    private static final String ROOT = "dev.wschat.server";
    private static final Pattern ARROW = Pattern.compile("^\\s*(dev\\.wschat\\.server\\S*)\\s+->\\s+(dev\\.wschat\\.server\\S*)\\s");
    private static Map<String, Set<String>> uses;

    @BeforeAll
    static void readTheDrawing() throws Exception {
        Path classes = Path.of(ServerConfig.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ToolProvider jdeps = ToolProvider.findFirst("jdeps")
                .orElseThrow(() -> new AssertionError("jdeps not found: the tests need a full JDK"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = jdeps.run(new PrintWriter(out), new PrintWriter(err), "-verbose:package", "-filter:none",
                "-e", "dev\\.wschat\\.server.*", classes.toString());
        assertThat(exit).as("jdeps: %s", err).isZero();
        uses = new TreeMap<>();
        for (String line : out.toString().split("\\R")) {
            Matcher arrow = ARROW.matcher(line);
            if (arrow.find() && !arrow.group(1).equals(arrow.group(2))) {
                uses.computeIfAbsent(arrow.group(1), p -> new TreeSet<>()).add(arrow.group(2));
            }
        }
        assertThat(uses).as("jdeps saw the server's packages").containsKey(ROOT);
    }

    @Test
    void noPackageBelowTheRootUsesTheRoot() {
        List<String> upward = new ArrayList<>();
        uses.forEach((from, to) -> {
            if (!from.equals(ROOT) && to.contains(ROOT)) {
                upward.add(from);
            }
        });
        assertThat(upward).as("packages that use %s (give them a settings record instead)", ROOT).isEmpty();
    }

    @Test
    void noPackageCycles() {
        List<String> cycles = new ArrayList<>();
        Set<String> done = new TreeSet<>();
        for (String start : uses.keySet()) {
            findCycles(start, new ArrayDeque<>(), done, cycles);
        }
        assertThat(cycles).as("package cycles").isEmpty();
    }

    /** Depth first; a package met again on the current path closes a cycle. */
    private static void findCycles(String at, Deque<String> path, Set<String> done, List<String> cycles) {
        if (path.contains(at)) {
            List<String> cycle = new ArrayList<>(path);
            cycle = cycle.subList(cycle.indexOf(at), cycle.size());
            cycles.add(String.join(" -> ", cycle) + " -> " + at);
            return;
        }
        if (!done.add(at)) {
            return;
        }
        path.addLast(at);
        for (String next : uses.getOrDefault(at, Set.of())) {
            findCycles(next, path, done, cycles);
        }
        path.removeLast();
    }
}
