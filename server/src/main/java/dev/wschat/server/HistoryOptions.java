package dev.wschat.server;

import dev.wschat.protocol.Limits;
import dev.wschat.server.Checks.AtLeast;
import dev.wschat.server.Checks.AtMost;
import dev.wschat.server.Checks.Shape;
import io.lettuce.core.RedisURI;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options of the History section: where messages are kept, for how long, and what a joiner or resume gets. */
final class HistoryOptions {
    @Option(names = "--history", paramLabel = "KIND", defaultValue = "sqlite", converter = HistoryKindConverter.class,
            description = "where chat messages are kept: sqlite (durable, under --data-dir) or none (memory only, "
                    + "lost on restart)")
    HistoryKind kind;
    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data",
            description = "directory of the history database wschat.db, created when missing")
    Path dataDir;
    @AtLeast(0)
    @Option(names = "--history-max-messages", paramLabel = "N", defaultValue = "10000",
            description = "messages kept per room, older ones deleted, 0 = no limit")
    int maxMessages;
    @AtLeast(0)
    @Option(names = "--history-max-age", paramLabel = "DAYS", defaultValue = "30",
            description = "days a message is kept, 0 = no limit")
    int maxAgeDays;
    @AtLeast(1)
    @Option(names = "--history-queue", paramLabel = "N", defaultValue = "20000",
            description = "messages waiting to be stored; past it a sender gets error unavailable")
    int queue;
    @AtLeast(0)
    @AtMost(Limits.MAX_HISTORY_PAGE)
    @Option(names = "--history-on-join", paramLabel = "N", defaultValue = "50",
            description = "recent messages a joiner is sent, 0 = none")
    int onJoin;
    @AtLeast(0)
    @Option(names = "--recovery-limit", paramLabel = "N", defaultValue = "1000",
            description = "most missed messages a resuming client recovers; past it recovered:false")
    int recoveryLimit;
    @Secret
    @Shape(RedisUrl.class)
    @Option(names = "--redis", paramLabel = "URL",
            description = "share rooms and history with other nodes through Redis: redis://[:password@]host:port"
                    + "[/db], rediss:// for TLS; also REDIS_URL; replaces --history and --data-dir")
    String redis;

    /** Converts {@code --history}: {@code sqlite} or {@code none}. */
    static final class HistoryKindConverter implements CommandLine.ITypeConverter<HistoryKind> {
        @Override
        public HistoryKind convert(String value) {
            return switch (value) {
                case "sqlite" -> HistoryKind.SQLITE;
                case "none" -> HistoryKind.NONE;
                default -> throw new CommandLine.TypeConversionException("expected sqlite or none: " + value);
            };
        }
    }

    /** {@code --redis}: a URL Lettuce accepts, shown without its password; blank is the same as unset. */
    static final class RedisUrl implements Checks.Rule {
        @Override
        public String problem(Object value) {
            String url = value.toString();
            if (url.isBlank()) {
                return null;
            }
            String bad = "must be a redis://[:password@]host:port[/db] or rediss:// URL";
            if (!url.startsWith("redis://") && !url.startsWith("rediss://")) {
                return bad + ", not " + redacted(url);
            }
            try {
                RedisURI.create(url);
                return null;
            } catch (RuntimeException e) {
                return bad + ": " + redacted(url) + " (" + e.getMessage() + ")";
            }
        }

        /** A URL with any password in it replaced, for messages. */
        private static String redacted(String url) {
            return url.replaceFirst("//[^@/]*@", "//***@");
        }
    }
}
