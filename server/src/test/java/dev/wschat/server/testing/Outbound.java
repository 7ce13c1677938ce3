package dev.wschat.server.testing;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;

import static org.assertj.core.api.Assertions.assertThat;

/** Reads what a handler under test wrote, as a client would see it. */
public final class Outbound {
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
            return JsonParser.parseString(frame.text()).getAsJsonObject();
        } finally {
            frame.release();
        }
    }
}
