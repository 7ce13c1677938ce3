package dev.wschat.server.redis;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.wschat.protocol.ClientMessage;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.LongStream;

import static dev.wschat.server.testing.TestClient.str;

/** What the scale-out tests read from their clients: the chat seqs, acks and errors each one received. */
final class Chats {
    static final Duration LONG = Duration.ofSeconds(60);

    private Chats() {
    }

    /** The messages of a {@code type} the client received, as JSON, in order of arrival. */
    static List<JsonObject> received(TestClient c, String type) {
        List<JsonObject> out = new ArrayList<>();
        for (String text : c.received()) {
            JsonObject m = JsonParser.parseString(text).getAsJsonObject();
            if (type.equals(str(m, "type"))) {
                out.add(m);
            }
        }
        return out;
    }

    /** The client id its welcome gave the client. */
    static String clientId(TestClient c) {
        return welcome(c).clientId();
    }

    /** The welcome the client received first. */
    static ServerMessage.Welcome welcome(TestClient c) {
        List<ServerMessage.Welcome> welcomes = c.receivedOf(ServerMessage.Welcome.class);
        if (welcomes.isEmpty()) {
            throw new AssertionError("no welcome among " + c.received());
        }
        return welcomes.get(0);
    }

    /** The seqs of the room's chat messages the client received, in order of arrival. */
    static List<Long> seqs(TestClient c, String room) {
        return c.receivedOf(ServerMessage.Chat.class).stream().filter(m -> room.equals(m.room()))
                .map(ServerMessage.Chat::seq).toList();
    }

    /** The bodies of the room's chat messages the client received, in order of arrival. */
    static List<String> bodies(TestClient c, String room) {
        return c.receivedOf(ServerMessage.Chat.class).stream().filter(m -> room.equals(m.room()))
                .map(ServerMessage.Chat::message).toList();
    }

    /** The client message ids acknowledged to the client. */
    static Set<String> acked(TestClient c) {
        Set<String> ids = new LinkedHashSet<>();
        c.receivedOf(ServerMessage.Ack.class).forEach(m -> ids.add(m.clientMsgId()));
        return ids;
    }

    /**
     * The seq each client message id was acknowledged with (a resend's {@code duplicate} ack included).
     *
     * @throws AssertionError when one id was acknowledged with two different seqs
     */
    static Map<String, Long> ackedSeqs(TestClient c) {
        Map<String, Long> seqs = new LinkedHashMap<>();
        for (ServerMessage.Ack ack : c.receivedOf(ServerMessage.Ack.class)) {
            String id = ack.clientMsgId();
            Long seq = ack.seq();
            Long before = seqs.putIfAbsent(id, seq);
            if (before != null && !before.equals(seq)) {
                throw new AssertionError(id + " acknowledged as seq " + before + " and as seq " + seq);
            }
        }
        return seqs;
    }

    /** Sends a chat with a client message id, also given as its ref so an error names it. */
    static void chat(TestClient c, String room, String clientMsgId) {
        c.send(new ClientMessage.Chat(room, clientMsgId, clientMsgId, clientMsgId));
    }

    /** Joins a room and waits for its history answer. */
    static JsonObject join(TestClient c, String room) {
        c.send(new ClientMessage.Join(room, null));
        return c.next(m -> "history".equals(str(m, "type")) && room.equals(str(m, "room")));
    }

    static List<Long> range(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().toList();
    }

    /** A node of the cluster: an in-process server on this Redis, no message rate limit. */
    static RunningServer node(String redisUrl, String... more) {
        return RunningServer.start(nodeOptions(redisUrl, more));
    }

    /** The options of a node on this Redis, no message rate limit, then {@code more}. */
    static String[] nodeOptions(String redisUrl, String... more) {
        List<String> args = new ArrayList<>(List.of("--redis", redisUrl));
        args.addAll(List.of(more));
        return RunningServer.noRateLimit(args.toArray(String[]::new));
    }

    /** The node's v2 client, ready (welcome and lobby presence read). */
    static TestClient client(RunningServer node) {
        return node.v2();
    }
}
