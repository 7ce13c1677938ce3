package dev.wschat.server;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The values of options not given on the command line: the environment ({@code WSCHAT_<NAME>}, then {@code PORT}
 * for {@code --port} and {@code REDIS_URL} for {@code --redis}), then the {@code --config} properties file (keys are
 * option names without dashes); picocli
 * falls back to the declared default when this answers {@code null}.
 */
final class ConfigSources implements CommandLine.IDefaultValueProvider {
    /** The prefix of every option's environment variable. */
    static final String ENV_PREFIX = "WSCHAT_";
    private static final String CONFIG_OPTION = "--config";

    private final Map<String, String> env;
    private final Properties file;
    private final String fileLabel;
    /** Option name to where its value was found, filled as picocli asks. */
    private final Map<String, String> sources = new HashMap<>();

    private ConfigSources(Map<String, String> env, Properties file, String fileLabel) {
        this.env = env;
        this.file = file;
        this.fileLabel = fileLabel;
    }

    /**
     * Reads the environment and the config file named by {@code --config} (or {@code WSCHAT_CONFIG}).
     *
     * @throws IllegalArgumentException when the file cannot be read or names an option that does not exist
     */
    static ConfigSources read(CommandSpec spec, String[] args, Map<String, String> env) {
        Objects.requireNonNull(spec, "spec");
        Path path = configPath(args, env);
        Properties properties = new Properties();
        if (path == null) {
            return new ConfigSources(Map.copyOf(env), properties, null);
        }
        try (Reader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            properties.load(in);
        } catch (IOException e) {
            throw new IllegalArgumentException(CONFIG_OPTION + " cannot read " + path + ": " + e, e);
        }
        Set<String> unknown = new TreeSet<>();
        for (String key : properties.stringPropertyNames()) {
            OptionSpec option = spec.findOption("--" + key);
            if (option == null || !settable(option) || CONFIG_OPTION.equals(option.longestName())) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(CONFIG_OPTION + " " + path + ": no such option " + unknown
                    + " (keys are option names without the dashes, see --help)");
        }
        return new ConfigSources(Map.copyOf(env), properties, "config file " + path);
    }

    /** {@code --config} has to be known before picocli asks for any value, so it is looked for here. */
    private static Path configPath(String[] args, Map<String, String> env) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals(CONFIG_OPTION) && i + 1 < args.length) {
                return Path.of(args[i + 1]);
            }
            if (args[i].startsWith(CONFIG_OPTION + "=")) {
                return Path.of(args[i].substring(CONFIG_OPTION.length() + 1));
            }
        }
        String fromEnv = env.get(envName(CONFIG_OPTION));
        return fromEnv == null || fromEnv.isBlank() ? null : Path.of(fromEnv.strip());
    }

    /** The environment variable of an option: {@code --max-rooms} is {@code WSCHAT_MAX_ROOMS}. */
    static String envName(String option) {
        return ENV_PREFIX + option.substring(2).toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /**
     * The environment variables that set an option, first wins: {@code WSCHAT_<NAME>}, then {@code PORT} for
     * {@code --port} (as in the tutorial) and {@code REDIS_URL} for {@code --redis} (what hosting platforms set
     * for an attached Redis).
     */
    static List<String> envNames(String option) {
        return switch (option) {
            case "--port" -> List.of(envName(option), "PORT");
            case "--redis" -> List.of(envName(option), "REDIS_URL");
            default -> List.of(envName(option));
        };
    }

    private static boolean settable(OptionSpec option) {
        return !option.usageHelp() && !option.versionHelp();
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option) || !settable(option)) {
            return null;
        }
        String name = option.longestName();
        for (String envName : envNames(name)) {
            String value = env.get(envName);
            if (value != null) {
                if (value.isEmpty()) {
                    break; // an empty variable is unset, and hides the ones after it
                }
                sources.put(name, "environment " + envName);
                return value.strip();
            }
        }
        String value = file.getProperty(name.substring(2));
        if (value != null) {
            sources.put(name, fileLabel);
            return value.strip();
        }
        return null;
    }

    /** Where the value of an option came from, or {@code null} for the command line or the default. */
    String sourceOf(String option) {
        return sources.get(option);
    }

    /** The sources of the options that were not on the command line (the command line wins over them). */
    Map<String, String> notMatched(CommandLine.ParseResult result) {
        Map<String, String> left = new HashMap<>(sources);
        left.keySet().removeIf(result::hasMatchedOption);
        return Map.copyOf(left);
    }
}
