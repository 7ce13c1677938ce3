package dev.wschat.server.chat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

/**
 * Server-to-client WebSocket text frames encoded by hand, once per broadcast, so every member gets a
 * retained duplicate of the same bytes instead of a frame object encoded again in its own pipeline: one
 * complete, unmasked frame (FIN, opcode text, the RFC 6455 length of 2, 4 or 10 header bytes), the same
 * bytes Netty's {@code WebSocket08FrameEncoder} writes for a {@code TextWebSocketFrame}.
 */
final class RawFrames {
    private static final int FIN_TEXT = 0x81;
    private static final int MAX_SHORT_LENGTH = 125;
    private static final int MAX_16_BIT_LENGTH = 0xFFFF;

    private RawFrames() {
    }

    /** The text as one complete, unmasked WebSocket text frame in a new direct buffer of exactly its size. */
    static ByteBuf text(ByteBufAllocator alloc, String text) {
        int length = ByteBufUtil.utf8Bytes(text);
        int header = headerLength(length);
        ByteBuf buf = alloc.directBuffer(header + length);
        buf.writeByte(FIN_TEXT);
        if (length <= MAX_SHORT_LENGTH) {
            buf.writeByte(length);
        } else if (length <= MAX_16_BIT_LENGTH) {
            buf.writeByte(126).writeShort(length);
        } else {
            buf.writeByte(127).writeLong(length);
        }
        ByteBufUtil.reserveAndWriteUtf8(buf, text, length);
        return buf;
    }

    /** The header size of an unmasked frame whose payload is {@code payloadLength} bytes. */
    static int headerLength(long payloadLength) {
        return payloadLength <= MAX_SHORT_LENGTH ? 2 : payloadLength <= MAX_16_BIT_LENGTH ? 4 : 10;
    }

    /**
     * The payload of a frame made by {@link #text}, as a retained slice sharing its bytes: for a member whose
     * pipeline must get a frame object (an extension encoder would rewrite the frame).
     */
    static ByteBuf retainedPayload(ByteBuf frame) {
        int lengthByte = frame.getUnsignedByte(frame.readerIndex() + 1);
        int header = lengthByte == 126 ? 4 : lengthByte == 127 ? 10 : 2;
        return frame.retainedSlice(frame.readerIndex() + header, frame.readableBytes() - header);
    }
}
