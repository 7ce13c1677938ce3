package dev.wschat.server.chat;

import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.JsonCodec;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.broker.RoomEvent;
import dev.wschat.server.limits.CloseGuard;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fan-out's raw write path on EmbeddedChannels shaped like the real pipeline after the handshake (frame
 * encoder, then the close guard): each member gets a retained duplicate of one encoded frame at the encoder,
 * one flush per loop iteration however many events, nothing once a Close frame went out, and every buffer
 * is released in the end.
 */
class RoomFanoutTest {
    private final ServerMetrics metrics = new ServerMetrics();
    private final RoomFanout fanout = new RoomFanout(new JsonCodec(), metrics);
    private final RoomFanout.Slices room = new RoomFanout.Slices();
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void finish() {
        for (EmbeddedChannel ch : channels) {
            assertThat(ch.finish()).as("nothing left unread on " + ch).isFalse();
        }
        metrics.close();
    }

    @Test
    void everyMemberGetsARetainedDuplicateOfOneFrameAndOneFlushPerIteration() {
        Member a = member("a", Dialect.V2);
        Member b = member("b", Dialect.V2);

        for (int i = 0; i < 3; i++) {
            fanout.deliver(room, event("hello " + i, "someone-else"), true, false);
        }
        a.ch.runPendingTasks();
        b.ch.runPendingTasks();

        List<ByteBuf> fromA = a.frames();
        List<ByteBuf> fromB = b.frames();
        assertThat(fromA).hasSize(3);
        assertThat(fromB).hasSize(3);
        assertThat(a.flushes.count).as("one flush for the three events").isEqualTo(1);
        assertThat(b.flushes.count).isEqualTo(1);
        List<ByteBuf> roots = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ByteBuf root = fromA.get(i).unwrap();
            assertThat(root).isNotNull();
            assertThat(text(fromA.get(i))).contains("\"message\":\"hello " + i + "\"");
            // A duplicate, not a copy: both members' buffers are views of the same memory.
            int last = fromA.get(i).writerIndex() - 1;
            byte was = fromA.get(i).getByte(last);
            fromA.get(i).setByte(last, 'X');
            assertThat(fromB.get(i).getByte(last)).as("a duplicate, not a copy").isEqualTo((byte) 'X');
            fromA.get(i).setByte(last, was);
            roots.add(root);
        }
        release(fromA);
        assertThat(roots).allSatisfy(root -> assertThat(root.refCnt()).as("held by b's duplicate").isPositive());
        release(fromB);
        assertThat(roots).allSatisfy(root -> assertThat(root.refCnt()).as("released").isZero());
    }

    @Test
    void aMemberThatWasSentACloseFrameGetsNothingMore() {
        Member open = member("open", Dialect.V2);
        Member closing = member("closing", Dialect.V2);
        closing.ch.writeAndFlush(new CloseWebSocketFrame(1008, "Rate limit exceeded"));
        ByteBuf close = closing.ch.readOutbound();
        assertThat((int) close.getUnsignedByte(0)).as("the encoded Close frame").isEqualTo(0x88);
        close.release();
        closing.flushes.count = 0;

        fanout.deliver(room, event("after the close", "someone-else"), true, false);
        open.ch.runPendingTasks();
        closing.ch.runPendingTasks();

        List<ByteBuf> toOpen = open.frames();
        assertThat(toOpen).hasSize(1);
        ByteBuf root = toOpen.get(0).unwrap();
        assertThat(closing.frames()).as("data after the Close frame").isEmpty();
        assertThat(closing.flushes.count).as("nothing to flush").isZero();
        release(toOpen);
        assertThat(root.refCnt()).as("the skipped member held no reference").isZero();
    }

    @Test
    void encodesOncePerDialectAndLeavesATutorialSenderOut() {
        Member v2Sender = member("sender", Dialect.V2);
        Member tutorialSender = member("tutorial-sender", Dialect.TUTORIAL);
        Member tutorial = member("tutorial", Dialect.TUTORIAL);

        fanout.deliver(room, event("both", "sender"), true, true);
        fanout.deliver(room, event("tutorial's own", "tutorial-sender"), true, true);
        v2Sender.ch.runPendingTasks();
        tutorialSender.ch.runPendingTasks();
        tutorial.ch.runPendingTasks();

        List<ByteBuf> toV2 = v2Sender.frames();
        List<ByteBuf> toTutorialSender = tutorialSender.frames();
        List<ByteBuf> toTutorial = tutorial.frames();
        assertThat(toV2).as("a v2 sender gets its echo").hasSize(2);
        assertThat(toTutorialSender).as("no echo in the tutorial dialect").hasSize(1);
        assertThat(toTutorial).hasSize(2);
        assertThat(root(toTutorialSender.get(0))).as("one tutorial frame per event")
                .isSameAs(root(toTutorial.get(0)));
        assertThat(root(toV2.get(0))).as("one frame per dialect").isNotSameAs(root(toTutorial.get(0)));
        release(toV2);
        release(toTutorialSender);
        release(toTutorial);
    }

    /** The join boundary: what a joiner's history covers is not delivered again, and nothing after it is lost. */
    @Test
    void aJoinerIsHeldUntilItsHistoryIsWrittenThenGetsOnlyWhatCameAfterIt() {
        Member joiner = member("joiner", Dialect.V2, true);
        for (long seq = 1; seq <= 5; seq++) {
            fanout.deliver(room, event("live " + seq, "someone-else", seq), true, false);
        }
        joiner.ch.runPendingTasks();
        assertThat(joiner.frames()).as("nothing while its history is read").isEmpty();

        // The history read saw the room up to seq 3; 4 and 5 came after it.
        fanout.catchUp(room, joiner.ch, 3, () -> joiner.ch.writeAndFlush(new TextWebSocketFrame("history 1..3")));
        joiner.ch.runPendingTasks();
        fanout.deliver(room, event("live 3 again", "someone-else", 3), true, false);
        fanout.deliver(room, event("live 6", "someone-else", 6), true, false);
        joiner.ch.runPendingTasks();

        List<ByteBuf> got = joiner.frames();
        assertThat(got).extracting(RoomFanoutTest::text)
                .satisfiesExactly(
                        t -> assertThat(t).isEqualTo("history 1..3"),
                        t -> assertThat(t).contains("\"message\":\"live 4\""),
                        t -> assertThat(t).contains("\"message\":\"live 5\""),
                        t -> assertThat(t).contains("\"message\":\"live 6\""));
        release(got);
    }

    private Member member(String id, Dialect dialect) {
        return member(id, dialect, false);
    }

    private Member member(String id, Dialect dialect, boolean catchingUp) {
        FlushCounter flushes = new FlushCounter();
        EmbeddedChannel ch = new EmbeddedChannel(flushes, new WebSocket13FrameEncoder(false), new CloseGuard());
        ch.attr(Session.KEY).set(new Session(id, "user-" + id, dialect, ch));
        fanout.add(room, ch, Session.of(ch), catchingUp);
        channels.add(ch);
        return new Member(ch, flushes);
    }

    private static RoomEvent event(String text, String senderId) {
        return event(text, senderId, 1);
    }

    private static RoomEvent event(String text, String senderId, long seq) {
        return new RoomEvent("lobby", new ServerMessage.Chat("lobby", "m-" + text, seq,
                new ServerMessage.User(senderId, "Sender"), text, "2026-01-01T00:00:00Z"), senderId,
                RoomEvent.Exclusion.SENDER_IF_TUTORIAL);
    }

    private static String text(ByteBuf rawFrame) {
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(false, false, 1 << 20));
        client.writeInbound(rawFrame.retainedDuplicate());
        TextWebSocketFrame frame = client.readInbound();
        try {
            return frame.text();
        } finally {
            frame.release();
            client.finishAndReleaseAll();
        }
    }

    /** The buffer under every view: the leak detector (paranoid in tests) wraps each duplicate in a view of its own. */
    private static ByteBuf root(ByteBuf buf) {
        ByteBuf root = buf;
        while (root.unwrap() != null) {
            root = root.unwrap();
        }
        return root;
    }

    private static void release(List<ByteBuf> bufs) {
        bufs.forEach(ByteBuf::release);
    }

    private record Member(EmbeddedChannel ch, FlushCounter flushes) {
        /** Every raw frame written since the last call; each must be released. */
        List<ByteBuf> frames() {
            List<ByteBuf> out = new ArrayList<>();
            Object msg;
            while ((msg = ch.readOutbound()) != null) {
                assertThat(msg).as("written raw, at the encoder").isInstanceOf(ByteBuf.class);
                out.add((ByteBuf) msg);
            }
            return out;
        }
    }

    /** Counts the flushes that reach the socket end of the pipeline. */
    private static final class FlushCounter extends ChannelOutboundHandlerAdapter {
        int count;

        @Override
        public void flush(ChannelHandlerContext ctx) {
            count++;
            ctx.flush();
        }
    }
}
