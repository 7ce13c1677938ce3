package dev.wschat.server.limits;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class Utf8FailFastHandlerTest {
    private final List<Throwable> errors = new ArrayList<>();

    private EmbeddedChannel channel() {
        return new EmbeddedChannel(new Utf8FailFastHandler(1 << 20), new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                errors.add(cause);
            }
        });
    }

    private static byte[] frame(boolean fin, int opcode, byte[] payload, byte[] mask) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write((fin ? 0x80 : 0) | opcode);
        if (payload.length < 126) {
            f.write(0x80 | payload.length);
        } else {
            f.write(0x80 | 126);
            f.write(payload.length >>> 8);
            f.write(payload.length & 0xff);
        }
        f.writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            f.write(payload[i] ^ mask[i % 4]);
        }
        return f.toByteArray();
    }

    /** Writes {@code bytes} one at a time and returns how many passed before the handler stopped them. */
    private int feedBytewise(EmbeddedChannel ch, byte[] bytes) {
        int passed = 0;
        for (byte b : bytes) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
            ByteBuf out = ch.readInbound();
            if (out == null) {
                break;
            }
            passed++;
            out.release();
        }
        return passed;
    }

    @Test
    void passesValidTextFragmentsAndControlFramesUntouched() {
        EmbeddedChannel ch = channel();
        byte[] mask = {1, 2, 3, 4};
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        // A three-byte character split across two fragments, with a ping between them.
        stream.writeBytes(frame(false, 1, new byte[] {'a', euro[0]}, mask));
        stream.writeBytes(frame(true, 9, new byte[] {(byte) 0xff}, mask));
        stream.writeBytes(frame(true, 0, new byte[] {euro[1], euro[2], 'z'}, mask));
        stream.writeBytes(frame(true, 2, new byte[] {(byte) 0xff, (byte) 0xfe}, mask));
        byte[] all = stream.toByteArray();
        assertThat(feedBytewise(ch, all)).isEqualTo(all.length);
        assertThat(errors).isEmpty();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void failsOnTheFirstInvalidByteBeforeTheFrameIsComplete() {
        EmbeddedChannel ch = channel();
        byte[] payload = new byte[200];
        java.util.Arrays.fill(payload, (byte) 'x');
        payload[10] = (byte) 0xC0; // never valid in UTF-8
        byte[] bytes = frame(true, 1, payload, new byte[] {9, 8, 7, 6});
        int headerLength = 2 + 2 + 4;
        assertThat(feedBytewise(ch, bytes)).isEqualTo(headerLength + 10);
        assertThat(errors).singleElement().isInstanceOfSatisfying(CorruptedWebSocketFrameException.class,
                e -> assertThat(e.closeStatus()).isEqualTo(WebSocketCloseStatus.INVALID_PAYLOAD_DATA));
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void failsOnASurrogateEncodedInAContinuation() {
        EmbeddedChannel ch = channel();
        byte[] mask = {0, 0, 0, 0};
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        stream.writeBytes(frame(false, 1, new byte[] {'o', 'k', (byte) 0xED}, mask));
        stream.writeBytes(frame(true, 0, new byte[] {(byte) 0xA0, (byte) 0x80}, mask));
        byte[] all = stream.toByteArray();
        assertThat(feedBytewise(ch, all)).isLessThan(all.length);
        assertThat(errors).hasSize(1);
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void leavesUnmaskedFramesToTheDecoder() {
        EmbeddedChannel ch = channel();
        byte[] unmasked = {(byte) 0x81, 2, (byte) 0xC0, (byte) 0xC0};
        assertThat(feedBytewise(ch, unmasked)).isEqualTo(unmasked.length);
        assertThat(errors).isEmpty();
        assertThat(ch.finish()).isFalse();
    }
}
