package dev.wschat.server.chat;

import dev.wschat.server.testing.InProcessChat;
import dev.wschat.server.testing.Outbound;
import com.google.gson.JsonObject;
import dev.wschat.server.history.HistorySettings;
import dev.wschat.server.history.SqliteHistory;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A chat the history cannot store is refused to its sender with {@code unavailable} and delivered to no one. */
class ChatServiceUnavailableTest {
    @TempDir
    Path dir;

    private InProcessChat chat;

    @AfterEach
    void close() {
        chat.close();
    }

    @Test
    void aMessageTheStoreRefusesGetsUnavailableWithItsRefAndReachesNobody() {
        SqliteHistory history = new SqliteHistory(HistorySettings.defaults(dir));
        history.close(); // a closed store refuses every append, as a full queue or a failed disk does
        chat = InProcessChat.withHistory(history);
        EmbeddedChannel sender = chat.connect("wschat.v2");
        EmbeddedChannel other = chat.connect("wschat.v2");
        drain(sender);
        drain(other);

        sender.writeInbound(new TextWebSocketFrame("{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"hi\",\"ref\":\"r1\"}"));
        sender.runPendingTasks();
        other.runPendingTasks();

        JsonObject error = Outbound.json(sender);
        assertThat(error.get("type").getAsString()).isEqualTo("error");
        assertThat(error.get("code").getAsString()).isEqualTo("unavailable");
        assertThat(error.get("ref").getAsString()).isEqualTo("r1");
        assertThat((Object) sender.readOutbound()).as("no echo").isNull();
        assertThat((Object) other.readOutbound()).as("nothing delivered").isNull();
        assertThat(history.refusedAppends()).isEqualTo(1);
        sender.finishAndReleaseAll();
        other.finishAndReleaseAll();
    }

    private static void drain(EmbeddedChannel channel) {
        channel.runPendingTasks();
        Object out;
        while ((out = channel.readOutbound()) != null) {
            if (out instanceof ByteBuf b) {
                b.release();
            } else if (out instanceof TextWebSocketFrame f) {
                f.release();
            }
        }
    }

}
