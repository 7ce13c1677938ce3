package dev.wschat.server;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import static dev.wschat.server.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;

/** A real {@link ChatServer} on a free loopback port and the v2 clients a test opened on it; closes all. */
final class ChatFixture implements AutoCloseable {
    final ChatServer server;
    private final List<TestClient> clients = new ArrayList<>();

    private ChatFixture(ChatServer server) {
        this.server = server;
    }

    /** Starts a server with the given settings on 127.0.0.1, port 0. */
    static ChatFixture start(ServerConfig.Builder settings) throws InterruptedException {
        return new ChatFixture(new ChatServer(settings.host("127.0.0.1").port(0).build()).start());
    }

    /** Connects a v2 client and reads its welcome and lobby presence. */
    TestClient v2() {
        TestClient c = TestClient.v2(URI.create("ws://127.0.0.1:" + server.port() + "/ws"));
        clients.add(c);
        assertThat(str(c.next(), "event")).isEqualTo("welcome");
        c.nextOfType("presence");
        return c;
    }

    @Override
    public void close() {
        clients.forEach(TestClient::close);
        server.stop();
    }
}
