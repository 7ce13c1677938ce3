package dev.wschat.server.limits;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.wschat.protocol.CloseCodes;
import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.testkit.FuzzInputs;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What a stranger sends on an open WebSocket, fuzzed at the byte level through the frame handlers of the real
 * pipeline (UTF-8 fail-fast, Netty's frame decoder with the server's settings and its UTF-8 validator, the aggregator,
 * {@link FrameLimitHandler}):
 * any bytes, in any chunks, either pass as frames (a text message whole, valid UTF-8 and within the limit) or close the
 * connection with 1002, 1007 or 1009; no other exception, every buffer released (the paranoid leak detector checks),
 * and quickly. docs/fuzzing.md has the longer, coverage-guided run.
 */
class FrameHandlersFuzzTest {
    /** Small, so that fuzzed lengths cross it. */
    private static final int MAX_PAYLOAD = 1_024;
    private static final Set<Integer> DOCUMENTED_CLOSES = Set.of(CloseCodes.PROTOCOL_ERROR, CloseCodes.INVALID_PAYLOAD,
            CloseCodes.MESSAGE_TOO_BIG);
    private static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final ServerMetrics METRICS = new ServerMetrics();
    /**
     * Text at the edges of UTF-8, bytes never UTF-8, and frame headers: fin+text, fin+continuation, close, ping,
     * masked lengths 126 and 127.
     */
    private static final FuzzInputs INPUTS = FuzzInputs.withTokens("\ud83d\ude00", "\uffff")
            .andBytes("\u00e9", "\u0080", "\u00ff", "\u0081\u0080", "\u0080\u00fe", "\u0088\u00ff", "\u0089\u0080");

    @AfterAll
    static void closeMetrics() {
        METRICS.close();
    }

    @FuzzTest(maxDuration = "10m")
    void frames(byte[] data) {
        long start = System.nanoTime();
        Sink sink = new Sink();
        EmbeddedChannel channel = new EmbeddedChannel(new Utf8FailFastHandler(MAX_PAYLOAD),
                new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(MAX_PAYLOAD)
                        .expectMaskedFrames(true)
                        .allowMaskMismatch(false)
                        .allowExtensions(false)
                        .withUTF8Validator(true)
                        .closeOnProtocolViolation(false)
                        .build()),
                // WebSocketServerProtocolHandler adds this one (withUTF8Validator): it checks whole messages
                new Utf8FrameValidator(false),
                new WebSocketFrameAggregator(MAX_PAYLOAD), new FrameLimitHandler(METRICS, MAX_PAYLOAD), sink);
        try {
            // the first byte picks the chunk size, so the handlers see frames split anywhere
            int chunk = data.length == 0 ? 1 : 1 + (data[0] & 0x3f);
            for (int i = 1; i < data.length && channel.isOpen(); i += chunk) {
                channel.writeInbound(Unpooled.copiedBuffer(data, i, Math.min(chunk, data.length - i)));
            }
            Object out;
            while ((out = channel.readOutbound()) != null) {
                try {
                    if (out instanceof CloseWebSocketFrame close && !DOCUMENTED_CLOSES.contains(close.statusCode())) {
                        throw new AssertionError("closed with " + close.statusCode());
                    }
                } finally {
                    ReferenceCountUtil.release(out);
                }
            }
        } finally {
            channel.finishAndReleaseAll();
        }
        if (sink.failure != null) {
            throw sink.failure;
        }
        long took = System.nanoTime() - start;
        if (took > MAX_NANOS) {
            throw new AssertionError(data.length + " bytes took " + TimeUnit.NANOSECONDS.toMillis(took) + " ms");
        }
    }

    @Test
    void mutationsOfTheCorpus() {
        INPUTS.run(FrameHandlersFuzzTest.class, "frames", this::frames);
    }

    /** Where the chat handler would be: checks each message that got through, and releases it. */
    private static final class Sink extends ChannelInboundHandlerAdapter {
        AssertionError failure;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (!(msg instanceof WebSocketFrame frame)) {
                    failure = new AssertionError("not a frame: " + msg);
                    return;
                }
                if (!frame.isFinalFragment()) {
                    failure = new AssertionError("a fragment got past the aggregator: " + frame);
                }
                ByteBuf content = frame.content();
                if (content.readableBytes() > MAX_PAYLOAD) {
                    failure = new AssertionError(content.readableBytes() + " bytes got past the limit");
                }
                if (frame instanceof TextWebSocketFrame) {
                    try {
                        StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                                .onUnmappableCharacter(CodingErrorAction.REPORT)
                                .decode(ByteBuffer.wrap(ByteBufUtil.getBytes(content)));
                    } catch (CharacterCodingException e) {
                        failure = new AssertionError("a text message that is not UTF-8 got through", e);
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }
}
