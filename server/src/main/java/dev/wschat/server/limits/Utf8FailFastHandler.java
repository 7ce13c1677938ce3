package dev.wschat.server.limits;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.ReferenceCountUtil;

/**
 * Fails a text message on its first invalid UTF-8 byte, as bytes arrive, instead of once the whole
 * frame is in (Netty's decoder validates complete frames only, which Autobahn cases 6.4.3 and 6.4.4
 * call non-strict). Follows the frame headers of the raw stream ahead of the frame decoder, unmasks
 * text payload on the fly, and on the first impossible byte stops passing input on and raises the same
 * {@link CorruptedWebSocketFrameException} (1007) the decoder would. Anything the decoder itself refuses
 * (unmasked or oversized frames, reserved bits, bad fragmentation) it leaves to the decoder.
 * One instance per connection, added right before the frame decoder once the handshake completes.
 */
final class Utf8FailFastHandler extends ChannelInboundHandlerAdapter {
    private static final int TEXT = 1;
    private static final int CONTINUATION = 0;

    private final long maxFramePayload;
    // frame header parsing
    private int headerPos;
    private int b0;
    private int lengthBytes;
    private long payloadLength;
    private final byte[] mask = new byte[4];
    private long payloadPos;
    // message state
    private boolean inFragmentedMessage;
    private boolean inTextMessage;
    private boolean validating;
    private boolean gaveUp;
    private boolean failed;
    // UTF-8 state: continuation bytes still expected, and the allowed range of the next one
    private int need;
    private int lo = 0x80;
    private int hi = 0xBF;

    Utf8FailFastHandler(long maxFramePayload) {
        this.maxFramePayload = maxFramePayload;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (failed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!gaveUp && msg instanceof ByteBuf in && !scan(in)) {
            failed = true;
            ReferenceCountUtil.release(msg);
            ctx.fireExceptionCaught(new CorruptedWebSocketFrameException(WebSocketCloseStatus.INVALID_PAYLOAD_DATA,
                    "bytes are not UTF-8"));
            return;
        }
        ctx.fireChannelRead(msg);
    }

    /** Follows the frames in {@code in} without consuming it; {@code false} on an invalid UTF-8 byte. */
    private boolean scan(ByteBuf in) {
        for (int i = in.readerIndex(); i < in.writerIndex() && !gaveUp; i++) {
            int b = in.getByte(i) & 0xff;
            if (headerPos >= 0) {
                header(b);
                continue;
            }
            if (validating && !utf8(b ^ (mask[(int) (payloadPos & 3)] & 0xff))) {
                return false;
            }
            payloadPos++;
            if (payloadPos == payloadLength) {
                endOfFrame();
            }
        }
        return true;
    }

    private void header(int b) {
        switch (headerPos) {
            case 0 -> {
                b0 = b;
                headerPos = 1;
            }
            case 1 -> {
                if ((b & 0x80) == 0) {
                    gaveUp = true; // unmasked: the decoder closes 1002
                    return;
                }
                int len = b & 0x7f;
                lengthBytes = len == 126 ? 2 : len == 127 ? 8 : 0;
                payloadLength = lengthBytes == 0 ? len : 0;
                headerPos = 2;
            }
            default -> {
                int pos = headerPos - 2;
                if (pos < lengthBytes) {
                    payloadLength = (payloadLength << 8) | b;
                } else {
                    mask[pos - lengthBytes] = (byte) b;
                }
                headerPos++;
                if (pos == lengthBytes + 3) {
                    startOfFrame();
                    return;
                }
            }
        }
    }

    private void startOfFrame() {
        headerPos = -1;
        payloadPos = 0;
        int opcode = b0 & 0x0f;
        boolean fin = (b0 & 0x80) != 0;
        if ((b0 & 0x70) != 0 || payloadLength < 0 || payloadLength > maxFramePayload) {
            gaveUp = true; // reserved bits or too big: the decoder's to refuse
            return;
        }
        if (opcode >= 8) {
            validating = false; // a control frame between fragments leaves the message's state alone
        } else if (opcode == CONTINUATION) {
            if (!inFragmentedMessage) {
                gaveUp = true;
                return;
            }
            validating = inTextMessage;
            inFragmentedMessage = !fin;
        } else {
            if (inFragmentedMessage) {
                gaveUp = true;
                return;
            }
            inTextMessage = opcode == TEXT;
            inFragmentedMessage = !fin;
            validating = inTextMessage;
            if (inTextMessage) {
                need = 0;
                lo = 0x80;
                hi = 0xBF;
            }
        }
        if (payloadLength == 0) {
            endOfFrame();
        }
    }

    private void endOfFrame() {
        headerPos = 0;
        if (!inFragmentedMessage && (b0 & 0x0f) < 8) {
            inTextMessage = false;
        }
        validating = false;
    }

    /** One byte of a text message; {@code false} when no valid UTF-8 can continue this way. */
    private boolean utf8(int b) {
        if (need > 0) {
            if (b < lo || b > hi) {
                return false;
            }
            need--;
            lo = 0x80;
            hi = 0xBF;
            return true;
        }
        if (b < 0x80) {
            return true;
        }
        if (b >= 0xC2 && b <= 0xDF) {
            need = 1;
        } else if (b == 0xE0) {
            need = 2;
            lo = 0xA0;
        } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
            need = 2;
        } else if (b == 0xED) {
            need = 2;
            hi = 0x9F;
        } else if (b == 0xF0) {
            need = 3;
            lo = 0x90;
        } else if (b >= 0xF1 && b <= 0xF3) {
            need = 3;
        } else if (b == 0xF4) {
            need = 3;
            hi = 0x8F;
        } else {
            return false;
        }
        return true;
    }
}
