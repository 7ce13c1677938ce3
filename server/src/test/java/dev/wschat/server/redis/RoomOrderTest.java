package dev.wschat.server.redis;

import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.history.HistoryUnavailableException;
import dev.wschat.server.history.Page;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A room's order without Redis: a host whose stream reads the test answers by hand. Messages are delivered in seq
 * order, each once; a gap is read from the stream and delivered before what follows it; messages heard before the
 * start position are held; a new epoch starts over; seqs retention removed are skipped; failed reads are retried.
 */
class RoomOrderTest {
    private static final String EPOCH = "e1";
    private final Host host = new Host();
    private final RoomOrder order = new RoomOrder("dev", host);

    private static ServerMessage.Chat chat(long seq) {
        return new ServerMessage.Chat("dev", "m" + seq, seq, new ServerMessage.User("u1", "ann"), "body " + seq,
                "2026-12-01T00:00:00.000Z");
    }

    private static Page page(String epoch, long lastSeq, boolean hasMore, long... seqs) {
        return new Page("dev", epoch, LongStream.of(seqs).mapToObj(RoomOrderTest::chat).toList(), hasMore, !hasMore,
                lastSeq);
    }

    /** Subscribed, with the stream at {@code lastSeq}. */
    private void startedAt(long lastSeq) {
        order.subscribed();
        host.positions.removeFirst().complete(page(EPOCH, lastSeq, false));
        assertThat(order.ready()).isDone();
    }

    private void live(long seq) {
        order.live(seq, EPOCH, chat(seq));
    }

    @Test
    void messagesInSeqOrderAreDeliveredAtOnceWithoutReadingTheStream() {
        startedAt(4);
        live(5);
        live(6);
        live(6); // a repeat: delivered once
        assertThat(host.delivered).containsExactly(5L, 6L);
        assertThat(host.reads).isEmpty();
    }

    @Test
    void readyOnlyOnceTheStartIsKnownAndWhatCameBeforeItIsHeldThenDelivered() {
        order.subscribed();
        order.live(3, EPOCH, chat(3));
        order.live(2, EPOCH, chat(2)); // published after the subscription, before the position read answered
        assertThat(order.ready()).isNotDone();
        assertThat(host.delivered).isEmpty();

        host.positions.removeFirst().complete(page(EPOCH, 1, false));
        assertThat(order.ready()).isDone();
        assertThat(host.delivered).containsExactly(2L, 3L);
    }

    @Test
    void heldMessagesTheStartAlreadyCoversAreNotDeliveredAgain() {
        order.subscribed();
        live(2);
        live(3);
        host.positions.removeFirst().complete(page(EPOCH, 3, false)); // the joiner's history has them
        live(4);
        assertThat(host.delivered).containsExactly(4L);
    }

    @Test
    void aGapIsReadFromTheStreamAndDeliveredBeforeTheMessagesAfterIt() {
        startedAt(1);
        live(2);
        live(5); // 3 and 4 were lost on the way
        live(6);
        assertThat(host.delivered).containsExactly(2L);
        assertThat(host.reads).as("one read at a time").containsExactly(2L);

        host.answer(page(EPOCH, 6, false, 3, 4, 5, 6));
        assertThat(host.delivered).containsExactly(2L, 3L, 4L, 5L, 6L);
        assertThat(host.filled).containsExactly(2);
        live(7);
        assertThat(host.delivered).containsExactly(2L, 3L, 4L, 5L, 6L, 7L);
    }

    @Test
    void aLongGapIsReadInSeveralStepsAndWhatArrivesMeanwhileWaits() {
        startedAt(0);
        live(3);
        host.answer(page(EPOCH, 3, true, 1));
        assertThat(host.reads).containsExactly(0L, 1L);
        live(4); // during the second read
        assertThat(host.delivered).containsExactly(1L);
        host.answer(page(EPOCH, 4, false, 2, 3));
        assertThat(host.delivered).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void aResubscriptionCatchesUpFromTheStream() {
        startedAt(2);
        order.subscribed(); // the pub/sub connection came back: what was published meanwhile is in the stream
        assertThat(host.reads).containsExactly(2L);
        host.answer(page(EPOCH, 4, false, 3, 4));
        assertThat(host.delivered).containsExactly(3L, 4L);
    }

    @Test
    void aNewEpochStartsTheRoomOverAtSeqOne() {
        startedAt(7);
        order.live(1, "e2", chat(1)); // Redis lost the room: seqs start again
        order.live(2, "e2", chat(2));
        assertThat(host.delivered).containsExactly(1L, 2L);
        assertThat(host.reads).isEmpty();
    }

    @Test
    void aNewEpochSeenByARepairReadStartsOverAndReadsAgain() {
        startedAt(5);
        live(8);
        host.answer(page("e2", 2, false, 1, 2));
        assertThat(host.reads).as("read again from the start of the new epoch").containsExactly(5L, 0L);
        host.answer(page("e2", 2, false, 1, 2));
        assertThat(host.delivered).containsExactly(1L, 2L);
    }

    @Test
    void seqsTheStreamNoLongerKeepsAreSkipped() {
        startedAt(1);
        live(6);
        host.answer(page(EPOCH, 6, false, 4, 5, 6)); // retention removed 2 and 3
        assertThat(host.delivered).containsExactly(4L, 5L, 6L);
    }

    @Test
    void failedReadsAreRetriedLater() {
        order.subscribed();
        host.positions.removeFirst().completeExceptionally(new HistoryUnavailableException("down"));
        assertThat(order.ready()).isNotDone();
        host.runRetries();
        host.positions.removeFirst().complete(page(EPOCH, 1, false));
        assertThat(order.ready()).isDone();

        live(3);
        host.fail();
        assertThat(host.delivered).isEmpty();
        host.runRetries();
        host.answer(page(EPOCH, 3, false, 2, 3));
        assertThat(host.delivered).containsExactly(2L, 3L);
    }

    @Test
    void anEndedRoomStartsNoMoreReads() {
        startedAt(1);
        live(3);
        host.fail();
        order.end();
        host.runRetries();
        assertThat(host.reads).containsExactly(1L);
        assertThat(host.delivered).isEmpty();
    }

    @Test
    void heldMessagesAreBoundedAndThoseDroppedAreReadAgain() {
        startedAt(0);
        for (long seq = 2; seq <= RoomOrder.MAX_PENDING + 10; seq++) {
            live(seq);
        }
        long[] all = LongStream.rangeClosed(1, RoomOrder.MAX_PENDING + 10).toArray();
        host.answer(page(EPOCH, all.length, false, all));
        assertThat(host.delivered).hasSize(all.length).isSorted().doesNotHaveDuplicates();
    }

    /** The stream and the node, answered by the test. */
    private static final class Host implements RoomOrder.Host {
        final Deque<CompletableFuture<Page>> positions = new ArrayDeque<>();
        final Deque<CompletableFuture<Page>> repairs = new ArrayDeque<>();
        /** The seq each repair read started after, in order. */
        final List<Long> reads = new ArrayList<>();
        final List<Long> delivered = new ArrayList<>();
        final List<Integer> filled = new ArrayList<>();
        final List<Runnable> retries = new ArrayList<>();

        @Override
        public CompletionStage<Page> position(String room) {
            CompletableFuture<Page> f = new CompletableFuture<>();
            positions.add(f);
            return f;
        }

        @Override
        public CompletionStage<Page> after(String room, long seq, int limit) {
            assertThat(limit).isEqualTo(RoomOrder.REPAIR_BATCH);
            reads.add(seq);
            CompletableFuture<Page> f = new CompletableFuture<>();
            repairs.add(f);
            return f;
        }

        @Override
        public void deliver(String room, ServerMessage.Chat chat) {
            assertThat(room).isEqualTo("dev");
            delivered.add(chat.seq());
        }

        @Override
        public void retryLater(Runnable task) {
            retries.add(task);
        }

        @Override
        public void repaired(int count) {
            filled.add(count);
        }

        void answer(Page page) {
            repairs.removeFirst().complete(page);
        }

        void fail() {
            repairs.removeFirst().completeExceptionally(new HistoryUnavailableException("down"));
        }

        void runRetries() {
            List<Runnable> due = List.copyOf(retries);
            retries.clear();
            due.forEach(Runnable::run);
        }
    }
}
