package dev.wschat.bench;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The Socket.IO framing the bench speaks: upgrade target, packet types, chat events written and read. */
class SocketIoTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static SocketIo.Packet packet(String s) {
        byte[] b = bytes(s);
        return SocketIo.packet(b, 0, b.length);
    }

    private static int end(String s) {
        byte[] b = bytes(s);
        return SocketIo.chatTextEnd(b, 0, b.length);
    }

    @Test
    void theUpgradeGoesToTheSocketIoPathWithTheRoom() {
        assertThat(SocketIo.target("/", "bench-3")).isEqualTo("/socket.io/?EIO=4&transport=websocket&room=bench-3");
        assertThat(SocketIo.target("", null)).isEqualTo("/socket.io/?EIO=4&transport=websocket");
        assertThat(SocketIo.target("/chat", "a b")).isEqualTo("/chat/socket.io/?EIO=4&transport=websocket&room=a+b");
        assertThat(SocketIo.target("/socket.io/", "lobby")).isEqualTo("/socket.io/?EIO=4&transport=websocket&room=lobby");
    }

    @Test
    void packetsAreToldApartByTheirType() {
        assertThat(packet("0{\"sid\":\"x\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000}"))
                .isEqualTo(SocketIo.Packet.OPEN);
        assertThat(packet("40{\"sid\":\"y\"}")).isEqualTo(SocketIo.Packet.CONNECTED);
        assertThat(packet("40")).isEqualTo(SocketIo.Packet.CONNECTED);
        assertThat(packet("2")).isEqualTo(SocketIo.Packet.PING);
        assertThat(packet("2probe")).isEqualTo(SocketIo.Packet.OTHER);
        assertThat(packet("41")).isEqualTo(SocketIo.Packet.CLOSE);
        assertThat(packet("1")).isEqualTo(SocketIo.Packet.CLOSE);
        assertThat(packet("42[\"chat\",\"hi\"]")).isEqualTo(SocketIo.Packet.OTHER);
        assertThat(packet("44{\"message\":\"nope\"}")).isEqualTo(SocketIo.Packet.OTHER);
        assertThat(packet("")).isEqualTo(SocketIo.Packet.OTHER);
    }

    @Test
    void aChatEventIsWrittenAsAnEventWithOneEscapedString() {
        assertThat(SocketIo.chat("xx#B7:1:2:345#")).isEqualTo("42[\"chat\",\"xx#B7:1:2:345#\"]");
        assertThat(SocketIo.chat("a\"b\\c\nd\u0001")).isEqualTo("42[\"chat\",\"a\\\"b\\\\c\\nd\\u0001\"]");
    }

    @Test
    void theChatTextEndsBeforeTheClosingQuote() {
        String frame = SocketIo.chat("xx#B7:1:2:345#");
        assertThat(end(frame)).isEqualTo(frame.length() - 2);
        assertThat(frame.charAt(end(frame) - 1)).isEqualTo('#');
        // an escaped quote at the end is part of the text, not its end
        assertThat(end("42[\"chat\",\"a\\\"]")).isEqualTo(-1);
        assertThat(end("42[\"chat\",\"a\\\\\"]")).isEqualTo(14);
        assertThat(end("42[\"chat\",\"\"]")).isEqualTo(11);
    }

    @Test
    void otherPacketsAreNoChat() {
        assertThat(end("42[\"other\",\"xx#B7:1:2:345#\"]")).isEqualTo(-1);
        assertThat(end("42[\"chat\",{\"text\":\"xx#B7:1:2:345#\"}]")).isEqualTo(-1);
        assertThat(end("421[\"chat\",\"xx\"]")).isEqualTo(-1);
        assertThat(end("40{\"sid\":\"y\"}")).isEqualTo(-1);
        assertThat(end("2")).isEqualTo(-1);
    }
}
