package dev.wschat.server.presence;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.server.testing.RawWebSocket;
import dev.wschat.server.testing.RunningServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.wschat.server.testing.RunningServer.noRateLimit;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Regression: every joiner's presence listed every member (about 1 MB at 15,000), so 19,000 idle clients filling
 * lobby were cut off with 4008 by the thousands and the room sent O(N^2) bytes of presence. Now a joiner gets
 * one bounded page, and {@code who} pages through the rest.
 */
class BigRoomPresenceTest {
    private static final int CLIENTS = 3_000;
    private static final int PAGE = 100;

    @RegisterExtension
    final RunningServer server = RunningServer.withOptions(noRateLimit("--presence-page", "" + PAGE,
            "--max-connections", "0", "--max-connections-per-address", "0", "--connection-rate", "0",
            "--history-on-join", "0"));

    @Test
    void thousandsOfJoinersGetOneBoundedPageEachAndWhoPagesThroughEveryone() throws IOException {
        List<RawWebSocket> clients = new ArrayList<>(CLIENTS);
        long presenceBytes = 0;
        int largest = 0;
        for (int i = 0; i < CLIENTS; i++) {
            RawWebSocket c = server.closeLater(RawWebSocket.connect(server.port()));
            clients.add(c);
            // welcome, then lobby's presence: the joiner's own share of presence traffic
            for (int frames = 0; frames < 10; frames++) {
                RawWebSocket.Frame f = c.read();
                String text = f.text();
                if (text.contains("\"type\":\"presence\"")) {
                    JsonObject presence = JsonParser.parseString(text).getAsJsonObject();
                    assertThat(presence.getAsJsonArray("users").size()).isLessThanOrEqualTo(PAGE);
                    assertThat(presence.get("total").getAsInt()).isEqualTo(i + 1);
                    presenceBytes += f.payload().length;
                    largest = Math.max(largest, f.payload().length);
                    break;
                }
            }
        }
        // One page of at most 100 members (about 70 bytes each) per join, however big the room.
        assertThat(largest).as("largest presence frame").isLessThan(PAGE * 100);
        assertThat(presenceBytes / CLIENTS).as("presence bytes per join").isLessThan(PAGE * 100);

        RawWebSocket last = clients.get(CLIENTS - 1);
        Set<String> ids = new HashSet<>();
        String cursor = null;
        int pages = 0;
        do {
            String who = "{\"type\":\"who\",\"room\":\"lobby\",\"limit\":1000,\"ref\":\"w" + pages + "\""
                    + (cursor == null ? "" : ",\"cursor\":\"" + cursor + "\"") + "}";
            last.send(true, RawWebSocket.TEXT, who.getBytes(StandardCharsets.UTF_8));
            JsonObject page = null;
            for (int frames = 0; frames < 2_000 && page == null; frames++) {
                String text = last.read().text();
                if (text.contains("\"ref\":\"w" + pages + "\"")) {
                    page = JsonParser.parseString(text).getAsJsonObject();
                }
            }
            assertThat(page).as("the answer to who " + pages).isNotNull();
            assertThat(page.get("total").getAsInt()).isEqualTo(CLIENTS);
            JsonArray users = page.getAsJsonArray("users");
            users.forEach(u -> assertThat(ids.add(u.getAsJsonObject().get("id").getAsString())).isTrue());
            cursor = page.has("next") ? page.get("next").getAsString() : null;
            pages++;
        } while (cursor != null && pages < 10);
        assertThat(ids).hasSize(CLIENTS);
        assertThat(pages).isEqualTo(3);
        assertThat(server.server().metrics().rejections(ServerMetrics.Reason.SLOW_CONSUMER)).isZero();
        assertThat(server.server().service().sessionCount()).isEqualTo(CLIENTS);
    }
}
