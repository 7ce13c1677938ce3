package dev.wschat.server.chat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.server.presence.Presence;
import dev.wschat.server.redis.PresenceTimings;
import dev.wschat.server.redis.RedisConnections;
import dev.wschat.server.redis.RedisPresence;
import dev.wschat.server.testing.HandlerChannel;
import dev.wschat.server.testing.InProcessChat;
import dev.wschat.server.testing.Outbound;
import dev.wschat.server.testing.RedisServer;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes' chat services sharing presence through a real Redis (each with its own broker, so only presence
 * crosses): {@code who} on either lists both nodes' members, and when one node stops, the other's clients get
 * one {@code leave} notice per member it had and {@code who} no longer lists them, within 10 s; a session resumed on
 * another node that its old node was never told of is not announced as left when its resume window ends there.
 */
class CrossNodePresenceTest {
    /** Departures run on the test thread, as EmbeddedChannel wants. */
    private final Queue<Runnable> departures = new ConcurrentLinkedQueue<>();
    private final List<RedisPresence> presences = new ArrayList<>();
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    /** Every leave notice the clients were sent. */
    private final List<JsonObject> leaves = new ArrayList<>();
    @RegisterExtension
    final RedisServer redis = RedisServer.beforeEachTest();
    private final List<RedisConnections> connections = new ArrayList<>();
    private final List<ServerMetrics> nodeMetrics = new ArrayList<>();
    private final List<InProcessChat> services = new ArrayList<>();

    @AfterEach
    void stop() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
        services.forEach(InProcessChat::close);
        presences.forEach(RedisPresence::close);
        connections.forEach(RedisConnections::close);
        nodeMetrics.forEach(ServerMetrics::close);
    }

    /** A node's chat service; it relays no takeovers (a resume elsewhere is never told to it). */
    private InProcessChat node(String id, String... options) {
        ServerMetrics redisMetrics = new ServerMetrics();
        nodeMetrics.add(redisMetrics);
        RedisConnections node = new RedisConnections(redis.url(), 10_000, redisMetrics);
        connections.add(node);
        RedisPresence shared = new RedisPresence(node, id, PresenceTimings.DEFAULTS);
        presences.add(shared);
        node.start();
        shared.start();
        List<String> args = new ArrayList<>(List.of("--history-on-join", "0"));
        args.addAll(List.of(options));
        InProcessChat chat = InProcessChat.withPresence(new OnTestThread(shared), args.toArray(String[]::new));
        services.add(chat);
        return chat;
    }

    /** Hands the service's departure listener its calls on the test thread. */
    private final class OnTestThread implements Presence {
        private final Presence shared;

        OnTestThread(Presence shared) {
            this.shared = shared;
        }

        @Override
        public void add(String room, String memberKey, ServerMessage.User user) {
            shared.add(room, memberKey, user);
        }

        @Override
        public void remove(String room, String memberKey) {
            shared.remove(room, memberKey);
        }

        @Override
        public void rename(String room, String memberKey, ServerMessage.User user) {
            shared.rename(room, memberKey, user);
        }

        @Override
        public Page page(String room, String cursor, int limit) {
            return shared.page(room, cursor, limit);
        }

        @Override
        public boolean includes(String room, String userId) {
            return shared.includes(room, userId);
        }

        @Override
        public CompletionStage<Boolean> listed(String room, String userId, String memberKey, String resumeKey) {
            return shared.listed(room, userId, memberKey, resumeKey);
        }

        @Override
        public void handOver(String room, String memberKey, String resumeKey) {
            shared.handOver(room, memberKey, resumeKey);
        }

        @Override
        public void onDeparture(Departures listener) {
            shared.onDeparture((room, user) -> departures.add(() -> listener.departed(room, user)));
        }
    }

    private EmbeddedChannel connect(InProcessChat node) {
        return connect(node, "/ws");
    }

    private EmbeddedChannel connect(InProcessChat node, String uri) {
        EmbeddedChannel channel = HandlerChannel.of(node.handler())
                .id(DefaultChannelId.newInstance()) // distinct ids: presence keys by it
                .path(uri).handshaken("wschat.v2");
        channels.add(channel);
        return channel;
    }

    /** Everything a client was sent so far, as JSON. */
    private List<JsonObject> received(EmbeddedChannel channel) {
        for (Runnable r; (r = departures.poll()) != null; ) {
            r.run();
        }
        channel.runPendingTasks();
        List<JsonObject> out = new ArrayList<>();
        while (!channel.outboundMessages().isEmpty()) {
            JsonObject m = Outbound.json(channel);
            if (m.has("event") && "leave".equals(m.get("event").getAsString())) {
                leaves.add(m);
            }
            out.add(m);
        }
        return out;
    }

    /** The ids {@code who} lists in lobby, as the client reads them. */
    private List<String> who(EmbeddedChannel channel) {
        received(channel);
        channel.writeInbound(new TextWebSocketFrame("{\"type\":\"who\",\"room\":\"lobby\",\"limit\":1000}"));
        List<String> ids = new ArrayList<>();
        for (JsonObject m : received(channel)) {
            if ("presence".equals(m.get("type").getAsString())) {
                for (JsonElement u : m.getAsJsonArray("users")) {
                    ids.add(u.getAsJsonObject().get("id").getAsString());
                }
            }
        }
        return ids;
    }

    @Test
    void aSessionResumedOnAnotherNodeThatWasNotToldIsNotAnnouncedAsLeftWhenItsWindowEnds() {
        String[] resume = {"--resume-window", "1", "--session-secret", "a-secret-both-nodes-share-0123456789"};
        InProcessChat a = node("node-a", resume);
        InProcessChat b = node("node-b", resume);
        EmbeddedChannel alice = connect(a);
        EmbeddedChannel watcher = connect(a);
        String aliceId = idOf(alice);
        String token = received(alice).get(0).get("resumeToken").getAsString();
        await().atMost(Duration.ofSeconds(10)).until(() -> who(watcher).equals(sorted(aliceId, idOf(watcher))));

        alice.close(); // dropped: kept on node a for the window, and no takeover ever reaches node a
        assertThat(a.service().detachedCount()).isEqualTo(1);
        EmbeddedChannel back = connect(b, "/ws?resume=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
        assertThat(idOf(back)).isEqualTo(aliceId);
        back.writeInbound(new TextWebSocketFrame("{\"type\":\"resume\",\"rooms\":[{\"room\":\"lobby\"}]}"));
        await().atMost(Duration.ofSeconds(10)).until(() -> who(watcher).equals(sorted(aliceId, aliceId,
                idOf(watcher))));

        await().atMost(Duration.ofSeconds(10)).until(() -> a.service().detachedCount() == 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            alice.runPendingTasks(); // the expiry's work runs on the dropped channel's loop
            return who(watcher).equals(sorted(aliceId, idOf(watcher)));
        });
        received(watcher);
        assertThat(leaves).as("no leave for a user still in the room on node b").isEmpty();
    }

    private static List<String> sorted(String... ids) {
        List<String> out = new ArrayList<>(List.of(ids));
        out.sort(null);
        return out;
    }

    private static String idOf(EmbeddedChannel channel) {
        return channel.attr(Session.KEY).get().id();
    }

    @Test
    void whoListsBothNodesAndAStoppedNodesUsersLeaveOnceEach() {
        InProcessChat a = node("node-a");
        InProcessChat b = node("node-b");
        EmbeddedChannel onA = connect(a);
        EmbeddedChannel b1 = connect(b);
        EmbeddedChannel b2 = connect(b);
        List<String> everyone = new ArrayList<>(List.of(idOf(onA), idOf(b1), idOf(b2)));
        everyone.sort(null);
        await().atMost(Duration.ofSeconds(10)).until(() -> who(onA).equals(everyone) && who(b1).equals(everyone));
        received(onA);

        presences.get(1).close(); // node b stops without a word, as kill -9 would
        leaves.clear();
        await().atMost(Duration.ofSeconds(10)).until(() -> who(onA).equals(List.of(idOf(onA))) && leaves.size() >= 2);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> {
            received(onA);
            return leaves.size() == 2;
        });
        assertThat(leaves).extracting(m -> m.getAsJsonObject("user").get("id").getAsString())
                .containsExactlyInAnyOrder(idOf(b1), idOf(b2));
        assertThat(leaves).extracting(m -> m.get("room").getAsString()).containsOnly("lobby");
    }
}
