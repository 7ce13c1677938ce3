package dev.wschat.server.testing;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.FileAppender;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Prints what a failing test logged, and nothing for a passing one: {@code log4j2-test.xml} writes the log to a file
 * (appender {@code file}); this extension notes where the file ended when a test (or a test class) started and, if
 * it fails, prints the file from there on, so a green run is quiet and a red one shows its own log beside its
 * failure. Registered for every test class by {@code META-INF/services} (auto-detection is on in
 * {@code junit-platform.properties}).
 */
public final class PrintLogOnFailure implements BeforeAllCallback, BeforeEachCallback, TestWatcher, AfterAllCallback {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PrintLogOnFailure.class);
    private static final String START = "log-offset";

    @Override
    public void beforeAll(ExtensionContext context) {
        mark(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        mark(context);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        print(context, "test " + context.getDisplayName() + " in " + context.getRequiredTestClass().getSimpleName());
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        print(context, "aborted test " + context.getDisplayName());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (context.getExecutionException().isPresent()) {
            print(context, "test class " + context.getDisplayName());
        }
    }

    private static void mark(ExtensionContext context) {
        logFile().ifPresent(file -> context.getStore(NAMESPACE).put(START, size(file)));
    }

    private static void print(ExtensionContext context, String what) {
        Optional<Path> file = logFile();
        Long start = context.getStore(NAMESPACE).get(START, Long.class);
        if (file.isEmpty() || start == null) {
            return;
        }
        long end = size(file.get());
        if (end <= start) {
            System.out.println("---- " + what + " logged nothing (" + file.get() + ")");
            return;
        }
        try (InputStream in = Files.newInputStream(file.get())) {
            in.skipNBytes(start);
            String logged = new String(in.readNBytes((int) Math.min(end - start, Integer.MAX_VALUE)),
                    StandardCharsets.UTF_8);
            System.out.println("---- what " + what + " logged (" + file.get() + "):");
            System.out.print(logged);
            System.out.println("---- end of the log of " + what);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the test log " + file.get(), e);
        }
    }

    /** The file log4j2-test.xml writes to; empty when another configuration is in force. */
    private static Optional<Path> logFile() {
        if (!(LogManager.getContext(false) instanceof LoggerContext context)) {
            return Optional.empty();
        }
        Appender appender = context.getConfiguration().getAppender("file");
        return appender instanceof FileAppender file ? Optional.of(Path.of(file.getFileName())) : Optional.empty();
    }

    private static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException("reading the size of the test log " + file, e);
        }
    }
}
