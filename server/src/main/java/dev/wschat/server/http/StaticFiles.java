package dev.wschat.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The browser client's files, read from the classpath under {@code webroot/} (the client-web jar)
 * and kept in memory after the first read, so serving them never touches the disk on an event loop
 * more than once per file.
 */
public final class StaticFiles {
    private static final String ROOT = "webroot/";
    private static final Pattern SAFE_PATH = Pattern.compile("(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)+");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "mjs", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "json", "application/json",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon",
            "txt", "text/plain; charset=utf-8");

    private final ClassLoader loader;
    private final Map<String, Optional<Resource>> cache = new ConcurrentHashMap<>();

    /** A file and its content type. */
    public record Resource(byte[] content, String contentType) {
    }

    /** Reads from this class's class loader. */
    public StaticFiles() {
        this(StaticFiles.class.getClassLoader());
    }

    StaticFiles(ClassLoader loader) {
        this.loader = loader;
    }

    /**
     * Looks up the file for a request path; {@code /} is {@code index.html}.
     *
     * @param path the decoded request path, without query
     * @return the file, or empty when there is none (or the path is not a plain file name)
     */
    public Optional<Resource> find(String path) {
        String p = "/".equals(path) ? "/index.html" : path;
        if (!SAFE_PATH.matcher(p).matches() || p.contains("..")) {
            return Optional.empty();
        }
        return cache.computeIfAbsent(p, this::load);
    }

    private Optional<Resource> load(String path) {
        String name = ROOT + path.substring(1);
        try (InputStream in = loader.getResourceAsStream(name)) {
            if (in == null) {
                return Optional.empty();
            }
            int dot = path.lastIndexOf('.');
            String ext = dot < 0 ? "" : path.substring(dot + 1).toLowerCase(Locale.ROOT);
            String type = TYPES.getOrDefault(ext, "application/octet-stream");
            return Optional.of(new Resource(in.readAllBytes(), type));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + name, e);
        }
    }
}
