package dev.wschat.server;

import dev.wschat.server.metrics.ServerMetrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A real {@link ChatServer} on a free loopback port, for tests; {@link #close()} drains and stops it. */
final class RunningServer implements AutoCloseable {
    final ChatServer server;

    private RunningServer(ChatServer server) {
        this.server = server;
    }

    /** Starts a server with the given settings on 127.0.0.1, port 0. */
    static RunningServer start(ServerConfig.Builder settings) throws InterruptedException {
        ServerConfig config = settings.host("127.0.0.1").port(0).build();
        return new RunningServer(new ChatServer(config).start());
    }

    int port() {
        return server.port();
    }

    /** GET a path over HTTP. */
    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
                .timeout(WsProbe.TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The value of {@code wschat_rejections_total{reason=...}} as scraped from {@code GET /metrics}. */
    double rejections(ServerMetrics.Reason reason) throws IOException, InterruptedException {
        String body = get("/metrics").body();
        Matcher m = Pattern.compile("(?m)^wschat_rejections_total\\{[^}]*reason=\"" + reason.tag()
                + "\"[^}]*} ([0-9.eE+-]+)$").matcher(body);
        if (!m.find()) {
            throw new AssertionError("no rejection counter for " + reason.tag() + " in /metrics");
        }
        return Double.parseDouble(m.group(1));
    }

    /** Polls {@code /metrics} until the rejection counter reaches {@code atLeast}, or the probe timeout passes. */
    double awaitRejections(ServerMetrics.Reason reason, double atLeast) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + WsProbe.TIMEOUT.toNanos();
        double value = rejections(reason);
        while (value < atLeast && System.nanoTime() < deadline) {
            Thread.sleep(20);
            value = rejections(reason);
        }
        return value;
    }

    @Override
    public void close() {
        server.stop();
    }
}
