package dev.wschat.server.testing;

import dev.wschat.server.metrics.ServerMetrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Plain HTTP for tests: GET a URL, read one sample of a server's {@code /metrics}. */
public final class Http {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(TestClient.TIMEOUT).build();

    private Http() {
    }

    /** GET with a plain-HTTP client. */
    public static HttpResponse<String> get(URI uri) throws IOException {
        return get(HTTP, uri);
    }

    /**
     * GET through {@code http} (its SSL context is used for {@code https://}).
     *
     * @throws IOException when the request fails (a TLS refusal, a closed port)
     */
    public static HttpResponse<String> get(HttpClient http, URI uri) throws IOException {
        try {
            return http.send(HttpRequest.newBuilder(uri).timeout(TestClient.TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while GET " + uri, e);
        }
    }

    /**
     * One sample of {@code /metrics}.
     *
     * @param base   the server's base URL, e.g. {@code https://localhost:1234}
     * @param sample the sample's name with labels as printed, e.g. {@code wschat_auth_verifications_queued}
     *               or {@code wschat_rejections_total{reason="auth_failed"}}
     * @return its value
     */
    public static double metric(HttpClient http, String base, String sample) {
        String body;
        try {
            body = get(http, URI.create(base + "/metrics")).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String line : body.split("\n")) {
            int space = line.lastIndexOf(' ');
            if (!line.startsWith("#") && space > 0 && line.substring(0, space).replace(",}", "}").equals(sample)) {
                return Double.parseDouble(line.substring(space + 1));
            }
        }
        throw new AssertionError("no sample " + sample + " in /metrics");
    }

    /** The value of {@code wschat_rejections_total{reason=...}} in {@code /metrics}. */
    public static double rejections(HttpClient http, String base, ServerMetrics.Reason reason) {
        return metric(http, base, "wschat_rejections_total{reason=\"" + reason.tag() + "\"}");
    }
}
