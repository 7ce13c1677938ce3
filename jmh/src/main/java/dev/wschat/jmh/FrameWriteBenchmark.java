package dev.wschat.jmh;

import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.JsonCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.util.ReferenceCountUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * What one recipient of a broadcast costs beyond the socket: a retained duplicate of the one encoded frame,
 * against pushing that frame (or a frame object the WebSocket encoder must encode) through a channel pipeline.
 * The buffers come from {@link ByteBufAllocator#DEFAULT}, the allocator the server's channels and frames use.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FrameWriteBenchmark {
    private ByteBuf frame;
    private ByteBuf payload;
    private EmbeddedChannel raw;
    private EmbeddedChannel encoding;

    @Setup
    public void setUp() {
        byte[] text = new JsonCodec().encode(Messages.chat(), Dialect.V2).getBytes(StandardCharsets.UTF_8);
        payload = ByteBufAllocator.DEFAULT.directBuffer(text.length).writeBytes(text);
        frame = ByteBufAllocator.DEFAULT.directBuffer(text.length + 4).writeByte(0x81);
        if (text.length <= 125) {
            frame.writeByte(text.length);
        } else {
            frame.writeByte(126).writeShort(text.length);
        }
        frame.writeBytes(text);
        raw = new EmbeddedChannel();
        encoding = new EmbeddedChannel(new WebSocket13FrameEncoder(false));
    }

    @TearDown
    public void tearDown() {
        raw.finishAndReleaseAll();
        encoding.finishAndReleaseAll();
        frame.release();
        payload.release();
    }

    /** The fast path's per-recipient buffer work: a retained duplicate, released when written. */
    @Benchmark
    public void retainedDuplicateRelease(Blackhole bh) {
        ByteBuf dup = frame.retainedDuplicate();
        bh.consume(dup.readableBytes());
        dup.release();
    }

    /** The pre-encoded frame's duplicate written and flushed through a pipeline (no handlers), then released. */
    @Benchmark
    public void writeEncodedFrameThroughPipeline(Blackhole bh) {
        raw.writeOutbound(frame.retainedDuplicate());
        drain(raw, bh);
    }

    /** A frame object around the payload's duplicate through {@link WebSocket13FrameEncoder}: the path without pre-encoding. */
    @Benchmark
    public void writeFrameObjectThroughEncoder(Blackhole bh) {
        encoding.writeOutbound(new TextWebSocketFrame(payload.retainedDuplicate()));
        drain(encoding, bh);
    }

    private static void drain(EmbeddedChannel channel, Blackhole bh) {
        Object out;
        while ((out = channel.readOutbound()) != null) {
            bh.consume(out);
            ReferenceCountUtil.release(out);
        }
    }
}
