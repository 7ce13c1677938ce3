package dev.wschat.server.testing;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What one logger and its children log from {@link #start} until {@link #close}, as {@code LEVEL message} lines (the
 * console keeps getting them too): for tests that assert what an operator reads in the log.
 */
public final class LogCapture implements AutoCloseable {
    private final String logger;
    private final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
    private final AbstractAppender appender;

    private LogCapture(String logger) {
        this.logger = logger;
        this.appender = new AbstractAppender("capture-" + UUID.randomUUID(), null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                lines.add(event.getLevel() + " " + event.getMessage().getFormattedMessage());
            }
        };
    }

    /** Captures what {@code logger} (a logger name, e.g. a package) logs at {@code level} and above. */
    public static LogCapture start(String logger, Level level) {
        Objects.requireNonNull(logger, "logger");
        Objects.requireNonNull(level, "level");
        LogCapture capture = new LogCapture(logger);
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        capture.appender.start();
        LoggerConfig config = new LoggerConfig(logger, level, true);
        config.addAppender(capture.appender, level, null);
        context.getConfiguration().addLogger(logger, config);
        context.updateLoggers();
        return capture;
    }

    /** The lines logged so far, oldest first. */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** Stops capturing and gives the logger its configuration back. */
    @Override
    public void close() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().removeLogger(logger);
        context.reconfigure();
        appender.stop();
    }
}
