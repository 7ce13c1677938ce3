package dev.wschat.server.chat;

import dev.wschat.server.testing.InProcessChat;
import dev.wschat.server.testing.Outbound;
import com.google.gson.JsonObject;
import dev.wschat.protocol.CloseCodes;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** ChatFrameHandler on EmbeddedChannels: frames in, frames out. */
class ChatFrameHandlerTest {
    private final InProcessChat chat = InProcessChat.start();
    private final ServerMetrics metrics = chat.metrics();
    private final RoomRegistry rooms = chat.rooms();
    private final ChatService service = chat.service();

    @AfterEach
    void close() {
        chat.close();
    }

    private EmbeddedChannel connected(String subprotocol) {
        return chat.connect(subprotocol);
    }


    @Test
    void handshakeStartsASessionWithWelcomeAndLobbyPresence() {
        EmbeddedChannel channel = connected("wschat.v2");
        assertThat(Outbound.json(channel).get("event").getAsString()).isEqualTo("welcome");
        JsonObject presence = Outbound.json(channel);
        assertThat(presence.get("type").getAsString()).isEqualTo("presence");
        assertThat(presence.get("room").getAsString()).isEqualTo("lobby");
        JsonObject history = Outbound.json(channel);
        assertThat(history.get("type").getAsString()).isEqualTo("history");
        assertThat(history.get("messages").getAsJsonArray()).isEmpty();
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(rooms.size("lobby")).isEqualTo(1);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void textFrameIsDecodedAndEchoedToTheSenderInV2() {
        EmbeddedChannel channel = connected("wschat.v2");
        Outbound.json(channel); // welcome
        Outbound.json(channel); // presence
        Outbound.json(channel); // history
        channel.writeInbound(new TextWebSocketFrame("{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"hi\"}"));
        JsonObject echo = Outbound.json(channel);
        assertThat(echo.get("type").getAsString()).isEqualTo("chat");
        assertThat(echo.get("message").getAsString()).isEqualTo("hi");
        assertThat(echo.get("seq").getAsLong()).isEqualTo(1);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void tutorialSenderDoesNotGetItsOwnChatBack() {
        EmbeddedChannel channel = connected(null);
        Outbound.json(channel); // welcome only: no presence in the tutorial dialect
        assertThat((Object) channel.readOutbound()).isNull();
        channel.writeInbound(new TextWebSocketFrame("hello"));
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void binaryFrameClosesWith1003() {
        EmbeddedChannel channel = connected("wschat.v2");
        Outbound.json(channel); // welcome
        Outbound.json(channel); // presence
        Outbound.json(channel); // history
        channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));
        CloseWebSocketFrame close = channel.readOutbound();
        assertThat(close.statusCode()).isEqualTo(CloseCodes.UNSUPPORTED_DATA);
        close.release();
        assertThat(channel.isOpen()).isFalse();
        assertThat(metrics.rejections(ServerMetrics.Reason.BINARY_FRAME)).isEqualTo(1.0);
    }

    @Test
    void closingTheChannelLeavesTheRoomAndRemovesItWhenEmpty() {
        EmbeddedChannel channel = connected(null);
        Outbound.json(channel); // welcome
        assertThat(rooms.roomCount()).isEqualTo(1);
        channel.close();
        assertThat(rooms.roomCount()).isZero();
        assertThat(service.sessionCount()).isZero();
    }

    @Test
    void aV2ChannelThatDropsIsKeptInItsRoomsForAResume() {
        EmbeddedChannel channel = connected("wschat.v2");
        assertThat(Outbound.json(channel).get("resumeToken").getAsString()).isNotBlank();
        Outbound.json(channel); // presence
        Outbound.json(channel); // history
        channel.close();
        assertThat(service.sessionCount()).isZero();
        assertThat(service.detachedCount()).isEqualTo(1);
        assertThat(rooms.size("lobby")).as("still a member until its resume window passes").isEqualTo(1);
    }
}
