package dev.wschat.server.chat;

import dev.wschat.jmh.Messages;
import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.JsonCodec;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.broker.RoomEvent;
import dev.wschat.server.limits.CloseGuard;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
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

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The room fast path through {@link RoomRegistry#deliver} (membership lookup, then {@link RoomFanout}): in this
 * package so it can join {@link EmbeddedChannel}s with a {@link Session}. A room whose members' channels are closed
 * measures the one-time encoding of the complete WebSocket frame (lookup, JSON encode, {@link RawFrames}, release;
 * no write); a room of open members, each with the real pipeline's {@link CloseGuard} after the frame encoder, adds
 * the per-recipient checks and writes and the batch flush. {@link #rawFrame} is the frame encoding alone.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RoomFrameBenchmark {
    private final List<EmbeddedChannel> open = new ArrayList<>();
    private ServerMetrics metrics;
    private RoomRegistry registry;
    private RoomEvent v2Only;
    private RoomEvent bothDialects;
    private RoomEvent toTen;
    private String text;

    @Setup
    public void setUp() {
        metrics = new ServerMetrics();
        registry = new RoomRegistry(new JsonCodec(), metrics);
        v2Only = event("closed-v2");
        bothDialects = event("closed-both");
        toTen = event("open-ten");
        text = new JsonCodec().encode(toTen.message(), Dialect.V2);
        closedMember("closed-v2", Dialect.V2);
        closedMember("closed-both", Dialect.V2);
        closedMember("closed-both", Dialect.TUTORIAL);
        for (int i = 0; i < 10; i++) {
            open.add(member("open-ten", Dialect.V2, i));
        }
        checkEveryOpenMemberGetsOneFrame();
    }

    @TearDown
    public void tearDown() {
        for (EmbeddedChannel ch : open) {
            ch.finishAndReleaseAll();
        }
        metrics.close();
    }

    /** One event encoded once into a dialect-2 frame; its only member is closed, so nothing is written. */
    @Benchmark
    public void encodeOnceV2() {
        registry.deliver(v2Only);
    }

    /** One event encoded once per dialect (two frames), nothing written. */
    @Benchmark
    public void encodeOnceBothDialects() {
        registry.deliver(bothDialects);
    }

    /** The text of one chat as a complete WebSocket frame in a new direct buffer, released. */
    @Benchmark
    public void rawFrame(Blackhole bh) {
        ByteBuf frame = RawFrames.text(ByteBufAllocator.DEFAULT, text);
        bh.consume(frame.writerIndex());
        frame.release();
    }

    /** One event to a room of 10 open members: encode once, a retained duplicate each, one flush each. */
    @Benchmark
    public void deliverToTenMembers(Blackhole bh) {
        registry.deliver(toTen);
        for (int i = 0, n = open.size(); i < n; i++) {
            EmbeddedChannel ch = open.get(i);
            ch.runPendingTasks();
            Object out;
            while ((out = ch.readOutbound()) != null) {
                bh.consume(out);
                ReferenceCountUtil.release(out);
            }
        }
    }

    /** Fails the run when the fast path does not write what this benchmark claims it does. */
    private void checkEveryOpenMemberGetsOneFrame() {
        registry.deliver(toTen);
        for (EmbeddedChannel ch : open) {
            ch.runPendingTasks();
            Object out = ch.readOutbound();
            try {
                if (!(out instanceof ByteBuf frame) || frame.getUnsignedByte(frame.readerIndex()) != 0x81
                        || ch.outboundMessages().size() != 0) {
                    throw new IllegalStateException("expected one raw text frame on " + ch + ", got " + out);
                }
            } finally {
                ReferenceCountUtil.release(out);
            }
        }
    }

    private static RoomEvent event(String room) {
        ServerMessage.Chat c = Messages.chat();
        return new RoomEvent(room, new ServerMessage.Chat(room, c.id(), c.seq(), c.from(),
                c.message(), c.timestamp()), "someone-else", RoomEvent.Exclusion.SENDER_IF_TUTORIAL);
    }

    private void closedMember(String room, Dialect dialect) {
        EmbeddedChannel ch = member(room, dialect, 0);
        ch.finishAndReleaseAll();
        ch.close();
    }

    private EmbeddedChannel member(String room, Dialect dialect, int n) {
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocket13FrameEncoder(false), new CloseGuard());
        ch.attr(Session.KEY).set(new Session("member-" + room + "-" + n, "user" + n, dialect, ch));
        registry.join(room, ch);
        return ch;
    }
}
