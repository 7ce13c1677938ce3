package dev.wschat.server;

import dev.wschat.server.Checks.AtLeast;
import dev.wschat.server.Checks.Port;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;

/** The options of the Operations section: shutdown, the admin listener, logs and the config file. */
final class OperationsOptions {
    @AtLeast(1)
    @Option(names = "--drain-timeout", paramLabel = "MS", defaultValue = "10000",
            description = "time to flush and close connections on SIGTERM")
    int drainTimeoutMillis;
    @AtLeast(0)
    @Option(names = "--unready-delay", paramLabel = "MS", defaultValue = "0",
            description = "on SIGTERM, time /ready answers 503 before the listener closes")
    int unreadyDelayMillis;
    @Port
    @Option(names = "--admin-port", paramLabel = "N",
            description = "serve /metrics on this port only (0 picks a free one), not on --port; "
                    + "none = /metrics on --port")
    Integer adminPort;
    /** Checked only with {@code --admin-port} (by the server config's {@code validate()}): without it nothing binds here. */
    @Option(names = "--admin-host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "address of the --admin-port listener")
    String adminHost;
    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text",
            converter = LogFormatConverter.class, description = "text (one line per event) or json (one "
                    + "JSON object per line, Elastic Common Schema)")
    LogFormat logFormat;
    /** Read by {@link ConfigSources} before the other options; kept here so {@code --help} lists it. */
    @Option(names = "--config", paramLabel = "FILE",
            description = "properties file of options without dashes (max-rooms=3); also WSCHAT_CONFIG")
    Path configFile;

    /** Converts {@code --log-format}: {@code text} or {@code json}. */
    static final class LogFormatConverter implements CommandLine.ITypeConverter<LogFormat> {
        @Override
        public LogFormat convert(String value) {
            return Arrays.stream(LogFormat.values())
                    .filter(f -> f.name().equalsIgnoreCase(value.strip()))
                    .findFirst()
                    .orElseThrow(() -> new CommandLine.TypeConversionException(
                            "--log-format must be text or json, not " + value));
        }
    }
}
