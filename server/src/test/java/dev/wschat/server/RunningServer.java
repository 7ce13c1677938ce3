package dev.wschat.server;

import dev.wschat.server.metrics.ServerMetrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** A real {@link ChatServer} on a free loopback port, for tests; {@link #close()} drains and stops it. */
final class RunningServer implements AutoCloseable {
    final ChatServer server;
    private final List<AutoCloseable> opened = new CopyOnWriteArrayList<>();

    private RunningServer(ChatServer server) {
        this.server = server;
    }

    /** Starts a server with the given settings on 127.0.0.1, port 0. */
    static RunningServer start(String... settings) throws InterruptedException {
        ServerConfig config = ServerConfig.parse(withDefaults(settings, "--host", "127.0.0.1", "--port", "0"));
        return new RunningServer(new ChatServer(config).start());
    }

    /** {@code settings} after {@code defaults}. */
    static String[] withDefaults(String[] settings, String... defaults) {
        return java.util.stream.Stream.of(defaults, settings).flatMap(java.util.Arrays::stream).toArray(String[]::new);
    }

    int port() {
        return server.port();
    }

    /** Connects a v2 probe and waits for a frame containing {@code readyText}; the probe closes with the server. */
    WsProbe open(String readyText) throws InterruptedException {
        WsProbe client = closeLater(WsProbe.connect(port()));
        client.await(t -> t.contains(readyText));
        return client;
    }

    /** Connects a v2 JDK client to {@code /ws} and reads its welcome and lobby presence; it closes with the server. */
    TestClient v2() {
        TestClient c = closeLater(TestClient.v2(URI.create("ws://127.0.0.1:" + port() + "/ws")));
        assertThat(TestClient.str(c.next(), "event")).isEqualTo("welcome");
        c.nextOfType("presence");
        return c;
    }

    /** Closes {@code resource} (a client, a raw socket) before the server stops. */
    <T extends AutoCloseable> T closeLater(T resource) {
        opened.add(resource);
        return resource;
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
        for (AutoCloseable resource : opened) {
            try {
                resource.close();
            } catch (Exception e) {
                // already closed by the test or by the server: nothing left to release
            }
        }
        server.stop();
    }
}
