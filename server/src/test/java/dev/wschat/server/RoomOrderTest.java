package dev.wschat.server;

import com.google.gson.JsonObject;
import dev.wschat.server.chat.Session;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import io.netty.channel.EventLoop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.wschat.server.testing.RunningServer.noRateLimit;
import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two senders on two event loops chat into one room at once: every member receives every message in one
 * order, the room's {@code seq} order, with no gaps.
 */
class RoomOrderTest {
    private static final int PER_SENDER = 300;

    @RegisterExtension
    final RunningServer chat = RunningServer.withOptions(noRateLimit("--threads", "2", "--announce-limit", "0"));

    @Test
    void concurrentSendersOnTwoLoopsReachEveryMemberInSeqOrder() {
        sendFromTwoLoopsAndCheckTheOrder(chat);
    }

    private static void sendFromTwoLoopsAndCheckTheOrder(RunningServer chat) {
        TestClient a = chat.v2();
        TestClient b = chat.v2();
        TestClient r1 = chat.v2();
        TestClient r2 = chat.v2();
        List<EventLoop> loops = chat.server().service().sessions().stream().map(Session::channel)
                .map(ch -> ch.eventLoop()).distinct().toList();
        assertThat(loops).as("the four connections are spread over both event loops").hasSize(2);

        CompletableFuture<Void> fromA = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < PER_SENDER; i++) {
                a.sendJson("type", "chat", "room", "lobby", "content", "a" + i);
            }
        });
        CompletableFuture<Void> fromB = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < PER_SENDER; i++) {
                b.sendJson("type", "chat", "room", "lobby", "content", "b" + i);
            }
        });
        CompletableFuture.allOf(fromA, fromB).join();

        List<List<String>> orders = new ArrayList<>();
        for (TestClient receiver : List.of(r1, r2, a, b)) {
            List<String> order = new ArrayList<>();
            long previous = 0;
            for (int i = 0; i < 2 * PER_SENDER; i++) {
                JsonObject message = receiver.nextOfType("chat");
                long seq = message.get("seq").getAsLong();
                if (previous != 0) {
                    assertThat(seq).as("seq after %d", previous).isEqualTo(previous + 1);
                }
                previous = seq;
                order.add(str(message, "message"));
            }
            orders.add(order);
        }
        assertThat(orders.get(0)).hasSize(2 * PER_SENDER).doesNotHaveDuplicates();
        for (List<String> order : orders) {
            assertThat(order).containsExactlyElementsOf(orders.get(0));
        }
    }
}
