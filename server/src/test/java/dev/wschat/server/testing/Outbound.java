package dev.wschat.server.testing;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.JsonCodec;
import dev.wschat.protocol.MalformedMessageException;
import dev.wschat.protocol.ServerMessage;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;

import static org.assertj.core.api.Assertions.assertThat;

/** Reads what a handler under test wrote, as a client would see it. */
public final class Outbound {
    private static final JsonCodec CODEC = new JsonCodec();

    private Outbound() {
    }

    /**
     * The next outbound text frame as JSON. Broadcasts leave the handlers as pre-encoded frame bytes (encoded once
     * for the whole room), direct replies as frame objects: a client-side decoder reads both. Releases the frame.
     *
     * @param channel the channel under test
     * @return the frame's JSON object
     */
    public static JsonObject json(EmbeddedChannel channel) {
        return JsonParser.parseString(text(channel)).getAsJsonObject();
    }

    /**
     * The next outbound text frame decoded by the protocol, as {@link #json} reads it.
     *
     * @param channel the channel under test
     * @param dialect the connection's dialect
     * @return the message
     * @throws AssertionError with the decoder's message when the protocol cannot read the frame (a protocol bug)
     */
    public static ServerMessage message(EmbeddedChannel channel, Dialect dialect) {
        String text = text(channel);
        try {
            return CODEC.decodeServer(text, dialect);
        } catch (MalformedMessageException e) {
            throw new AssertionError("the protocol cannot read what the handler wrote (" + e.getMessage() + "): "
                    + text, e);
        }
    }

    private static String text(EmbeddedChannel channel) {
        Object out = channel.readOutbound();
        assertThat(out).as("an outbound text frame").isNotNull();
        TextWebSocketFrame frame;
        if (out instanceof ByteBuf bytes) {
            EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(false, false, 1 << 20));
            client.writeInbound(bytes);
            frame = client.readInbound();
            client.finishAndReleaseAll();
        } else {
            frame = (TextWebSocketFrame) out;
        }
        try {
            return frame.text();
        } finally {
            frame.release();
        }
    }
}
