package dev.wschat.server.chat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** RawFrames against Netty's own server-side frame encoder: the same bytes, at every header size. */
class RawFramesTest {
    static Stream<String> texts() {
        return Stream.of(
                "",
                "a".repeat(125),
                "a".repeat(126),
                "a".repeat(65_535),
                "a".repeat(65_536),
                "é".repeat(62) + "a",      // 125 bytes in 63 characters: still a 2-byte header
                "é".repeat(63),            // 126 bytes in 63 characters: the 4-byte header although 63 < 126
                "€".repeat(21_845),        // 65,535 bytes
                "€".repeat(21_845) + "a",  // 65,536 bytes: the 10-byte header
                "\uD83D\uDE00 emoji, ünïcödé, 中文");
    }

    @ParameterizedTest
    @MethodSource("texts")
    void sameBytesAsNettysEncoder(String text) {
        ByteBuf raw = RawFrames.text(UnpooledByteBufAllocator.DEFAULT, text);
        ByteBuf netty = nettyFrame(text);
        try {
            assertThat(ByteBufUtil.hexDump(raw)).isEqualTo(ByteBufUtil.hexDump(netty));
            int length = text.getBytes(StandardCharsets.UTF_8).length;
            assertThat(raw.readableBytes()).isEqualTo(RawFrames.headerLength(length) + length);
            assertThat(raw.capacity()).as("allocated exactly").isEqualTo(raw.readableBytes());
        } finally {
            raw.release();
            netty.release();
        }
    }

    @ParameterizedTest
    @MethodSource("texts")
    void retainedPayloadIsTheTextSharingTheFramesBytes(String text) {
        ByteBuf raw = RawFrames.text(UnpooledByteBufAllocator.DEFAULT, text);
        ByteBuf payload = RawFrames.retainedPayload(raw);
        try {
            assertThat(payload.toString(StandardCharsets.UTF_8)).isEqualTo(text);
            assertThat(raw.refCnt()).as("the slice holds the frame").isEqualTo(2);
        } finally {
            payload.release();
            raw.release();
        }
        assertThat(raw.refCnt()).isZero();
    }

    @ParameterizedTest
    @MethodSource("texts")
    void headerLengthFollowsRfc6455(String text) {
        int length = text.getBytes(StandardCharsets.UTF_8).length;
        int expected = length <= 125 ? 2 : length <= 65_535 ? 4 : 10;
        assertThat(RawFrames.headerLength(length)).isEqualTo(expected);
    }

    /** What Netty writes for the text as an unmasked server frame, header and payload in one buffer. */
    private static ByteBuf nettyFrame(String text) {
        EmbeddedChannel channel = new EmbeddedChannel(new WebSocket13FrameEncoder(false));
        assertThat(channel.writeOutbound(new TextWebSocketFrame(text))).isTrue();
        ByteBuf all = Unpooled.buffer();
        ByteBuf part;
        while ((part = channel.readOutbound()) != null) {
            all.writeBytes(part);
            part.release();
        }
        assertThat(channel.finish()).isFalse();
        return all;
    }
}
