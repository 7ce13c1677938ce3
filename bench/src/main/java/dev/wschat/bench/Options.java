package dev.wschat.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Command-line options of the form {@code --name value} or {@code --name=value}; unknown names are refused. */
final class Options {
    private final Map<String, String> values = new LinkedHashMap<>();

    Options(String[] args, int from, Set<String> known) {
        for (int i = from; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'");
            }
            String name;
            String value;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                name = arg.substring(2, eq);
                value = arg.substring(eq + 1);
            } else {
                name = arg.substring(2);
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("option --" + name + " needs a value");
                }
                value = args[++i];
            }
            if (!known.contains(name)) {
                throw new IllegalArgumentException("unknown option --" + name + " (see --help)");
            }
            values.put(name, value);
        }
    }

    String string(String name, String dflt) {
        return values.getOrDefault(name, dflt);
    }

    int integer(String name, int dflt) {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.replace("_", "").replace(",", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be an integer: " + v);
        }
    }

    double number(String name, double dflt) {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            return Double.parseDouble(v.replace("_", "").replace(",", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a number: " + v);
        }
    }

    Map<String, String> all() {
        return values;
    }
}
