package dev.wschat.server.chat;

import dev.wschat.server.testing.Outbound;
import com.google.gson.JsonObject;
import dev.wschat.protocol.JsonCodec;
import dev.wschat.server.ServerConfig;
import dev.wschat.server.history.HistorySettings;
import dev.wschat.server.history.SqliteHistory;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
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

    private final ServerMetrics metrics = new ServerMetrics();

    @AfterEach
    void closeMetrics() {
        metrics.close();
    }

    @Test
    void aMessageTheStoreRefusesGetsUnavailableWithItsRefAndReachesNobody() {
        JsonCodec codec = new JsonCodec();
        RoomRegistry rooms = new RoomRegistry(codec, metrics);
        SqliteHistory history = new SqliteHistory(HistorySettings.defaults(dir));
        history.close(); // a closed store refuses every append, as a full queue or a failed disk does
        ChatService service = ChatService.builder(ServerConfig.parse("--port", "0").chatSettings(),
                codec, rooms, metrics).history(history).build();
        EmbeddedChannel sender = connected(service, codec);
        EmbeddedChannel other = connected(service, codec);
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

    private EmbeddedChannel connected(ChatService service, JsonCodec codec) {
        EmbeddedChannel channel = new EmbeddedChannel(new ChatFrameHandler(service, codec, metrics));
        channel.pipeline().fireUserEventTriggered(
                new WebSocketServerProtocolHandler.HandshakeComplete("/ws", EmptyHttpHeaders.INSTANCE, "wschat.v2"));
        return channel;
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
