package dev.wschat.server.history;

import dev.wschat.protocol.ServerMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The contract of {@link History}, run against each implementation by a subclass: seq order without gaps,
 * ordered completions under concurrent appenders, dedup, pages, epochs and retention.
 */
abstract class HistoryContractTest {
    static final ServerMessage.User ALICE = new ServerMessage.User("a1", "alice");
    static final Duration WAIT = Duration.ofSeconds(30);

    final MutableClock clock = new MutableClock();
    private final List<History> opened = new ArrayList<>();

    /** Opens the implementation on the store {@code settings} names (a new or a reopened one). */
    abstract History create(HistorySettings settings, MutableClock clock);

    /** Applies retention now (SQLite runs it on its writer; memory applies it on read). */
    abstract void retain(History history);

    /** Whether a reopened history still has what was stored before. */
    abstract boolean survivesRestart();

    /** The one thread completions run on, or {@code null} when they run on the appending thread. */
    abstract String completionThread();

    abstract Path dataDir();

    HistorySettings settings() {
        return HistorySettings.defaults(dataDir());
    }

    History open(HistorySettings settings) {
        History h = create(settings, clock);
        opened.add(h);
        return h;
    }

    History open() {
        return open(settings());
    }

    @AfterEach
    void closeAll() {
        opened.forEach(History::close);
    }

    static ServerMessage.Chat draft(String room, String text) {
        return new ServerMessage.Chat(room, "id-" + room + "-" + text, 0, ALICE, text, "2026-11-26T00:00:00.000Z");
    }

    static <T> T await(java.util.concurrent.CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static Appended append(History h, String room, String text) {
        return await(h.append(draft(room, text), null, ALICE.id()));
    }

    static List<Long> seqs(Page page) {
        return page.messages().stream().map(ServerMessage.Chat::seq).toList();
    }

    static List<Long> range(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().toList();
    }

    @Test
    void eachRoomNumbersItsMessagesOneTwoThreeWithoutGaps() {
        History h = open();
        for (int i = 1; i <= 5; i++) {
            Appended a = append(h, "dev", "m" + i);
            assertThat(a.duplicate()).isFalse();
            assertThat(a.message().seq()).isEqualTo(i);
            assertThat(a.message().id()).isEqualTo("id-dev-m" + i);
            assertThat(a.message().timestamp()).isEqualTo("2026-11-26T00:00:00.000Z");
        }
        assertThat(append(h, "ops", "x").message().seq()).isEqualTo(1);
        Page dev = await(h.recent("dev", 50));
        assertThat(dev.messages()).extracting(ServerMessage.Chat::message)
                .containsExactly("m1", "m2", "m3", "m4", "m5");
        assertThat(dev.messages()).allSatisfy(m -> assertThat(m.from()).isEqualTo(ALICE));
        assertThat(dev.lastSeq()).isEqualTo(5);
    }

    @Test
    void concurrentAppendersGetEveryRoomInSeqOrderWithCompletionsInThatOrder() throws Exception {
        History h = open();
        int threads = 4;
        int roomsCount = 5;
        int perThreadPerRoom = 150;
        Map<String, List<Long>> completed = new ConcurrentHashMap<>();
        Set<String> completionThreads = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<CompletableFuture<Appended>>>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                work.add(pool.submit(() -> {
                    List<CompletableFuture<Appended>> futures = new ArrayList<>();
                    for (int i = 0; i < perThreadPerRoom; i++) {
                        for (int r = 0; r < roomsCount; r++) {
                            String room = "room-" + r;
                            futures.add(h.append(draft(room, thread + "-" + i), null, "sender-" + thread, a -> {
                                completionThreads.add(Thread.currentThread().getName());
                                completed.computeIfAbsent(room, k -> Collections.synchronizedList(new ArrayList<>()))
                                        .add(a.message().seq());
                            }).toCompletableFuture());
                        }
                    }
                    return futures;
                }));
            }
            for (Future<List<CompletableFuture<Appended>>> f : work) {
                for (CompletableFuture<Appended> a : f.get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    await(a);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        int perRoom = threads * perThreadPerRoom;
        for (int r = 0; r < roomsCount; r++) {
            assertThat(completed.get("room-" + r)).as("room-%d completions", r).containsExactlyElementsOf(range(1, perRoom));
            Page page = await(h.recent("room-" + r, perRoom));
            assertThat(seqs(page)).containsExactlyElementsOf(range(1, perRoom));
            assertThat(page.messages()).extracting(ServerMessage.Chat::message).doesNotHaveDuplicates();
        }
        if (completionThread() != null) {
            assertThat(completionThreads).containsExactly(completionThread());
        }
    }

    @Test
    void aResentClientMessageIdIsStoredOnceAndAnsweredWithTheOriginal() {
        History h = open();
        Appended first = await(h.append(draft("dev", "hello"), "c-17", "a1"));
        append(h, "dev", "between");
        Appended again = await(h.append(draft("dev", "hello again"), "c-17", "a1"));
        assertThat(first.duplicate()).isFalse();
        assertThat(again.duplicate()).isTrue();
        assertThat(again.message().id()).isEqualTo(first.message().id());
        assertThat(again.message().seq()).isEqualTo(first.message().seq());
        assertThat(again.message().message()).isEqualTo("hello");

        Appended otherSender = await(h.append(draft("dev", "mine"), "c-17", "b2"));
        assertThat(otherSender.duplicate()).as("dedup is per sender").isFalse();
        assertThat(otherSender.message().seq()).isEqualTo(3);

        clock.advance(Duration.ofMinutes(9));
        assertThat(await(h.append(draft("dev", "late"), "c-17", "a1")).duplicate())
                .as("still inside the ten-minute window").isTrue();
        assertThat(seqs(await(h.recent("dev", 50)))).containsExactly(1L, 2L, 3L);
    }

    @Test
    void duplicatesInsideOneBurstAreCaught() {
        History h = open();
        List<CompletableFuture<Appended>> burst = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            burst.add(h.append(draft("dev", "m" + (i % 5)), "c-" + (i % 5), "a1").toCompletableFuture());
        }
        List<Appended> results = burst.stream().map(HistoryContractTest::await).toList();
        assertThat(results.stream().filter(a -> !a.duplicate()).map(a -> a.message().seq()))
                .containsExactly(1L, 2L, 3L, 4L, 5L);
        for (int i = 5; i < 20; i++) {
            assertThat(results.get(i).duplicate()).isTrue();
            assertThat(results.get(i).message().seq()).isEqualTo(results.get(i % 5).message().seq());
        }
        assertThat(seqs(await(h.recent("dev", 50)))).containsExactlyElementsOf(range(1, 5));
    }

    @Test
    void pagesSayWhetherMoreIsKeptAndWhetherTheyAreComplete() {
        History h = open();
        List<CompletableFuture<Appended>> all = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            all.add(h.append(draft("dev", "m" + i), null, "a1").toCompletableFuture());
        }
        all.forEach(HistoryContractTest::await);

        Page recent = await(h.recent("dev", 3));
        assertThat(seqs(recent)).containsExactly(8L, 9L, 10L);
        assertThat(recent.hasMore()).isTrue();
        assertThat(recent.complete()).isFalse();
        Page everything = await(h.recent("dev", 50));
        assertThat(seqs(everything)).containsExactlyElementsOf(range(1, 10));
        assertThat(everything.hasMore()).isFalse();
        assertThat(everything.complete()).isTrue();
        assertThat(await(h.recent("dev", 0)).messages()).isEmpty();

        Page after = await(h.after("dev", 7, 100));
        assertThat(seqs(after)).containsExactly(8L, 9L, 10L);
        assertThat(after.complete()).isTrue();
        assertThat(after.hasMore()).isFalse();
        Page cut = await(h.after("dev", 7, 2));
        assertThat(seqs(cut)).containsExactly(8L, 9L);
        assertThat(cut.hasMore()).isTrue();
        assertThat(cut.complete()).as("more than the limit: not a complete recovery").isFalse();
        Page upToDate = await(h.after("dev", 10, 100));
        assertThat(upToDate.messages()).isEmpty();
        assertThat(upToDate.complete()).isTrue();
        assertThat(await(h.after("dev", 11, 100)).complete()).as("a seq from the future").isFalse();

        Page before = await(h.before("dev", 4, 2));
        assertThat(seqs(before)).containsExactly(2L, 3L);
        assertThat(before.hasMore()).isTrue();
        Page first = await(h.before("dev", 4, 50));
        assertThat(seqs(first)).containsExactly(1L, 2L, 3L);
        assertThat(first.hasMore()).isFalse();
        assertThat(first.complete()).isTrue();
        assertThat(await(h.before("dev", 1, 50)).messages()).isEmpty();

        Page nowhere = await(h.recent("nowhere", 50));
        assertThat(nowhere.messages()).isEmpty();
        assertThat(nowhere.lastSeq()).isZero();
        assertThat(nowhere.room()).isEqualTo("nowhere");
    }

    @Test
    void pagingBackReturnsAtMostTwoHundred() {
        History h = open(settings().withMaxMessagesPerRoom(0));
        List<CompletableFuture<Appended>> all = new ArrayList<>();
        for (int i = 1; i <= 250; i++) {
            all.add(h.append(draft("dev", "m" + i), null, "a1").toCompletableFuture());
        }
        all.forEach(HistoryContractTest::await);
        Page page = await(h.before("dev", 251, 500));
        assertThat(seqs(page)).containsExactlyElementsOf(range(51, 250));
        assertThat(page.hasMore()).isTrue();
    }

    @Test
    void theEpochIsStableWhileTheHistoryLastsAndChangesWhenItIsLost() {
        History h = open();
        append(h, "dev", "a");
        String epoch = await(h.epoch("dev"));
        assertThat(epoch).isNotBlank();
        assertThat(await(h.recent("dev", 5)).epoch()).isEqualTo(epoch);
        assertThat(await(h.after("dev", 0, 5)).epoch()).isEqualTo(epoch);
        assertThat(await(h.epoch("dev"))).isEqualTo(epoch);
        h.close();

        History again = open();
        if (survivesRestart()) {
            assertThat(await(again.epoch("dev"))).isEqualTo(epoch);
            assertThat(seqs(await(again.recent("dev", 5)))).containsExactly(1L);
            assertThat(append(again, "dev", "b").message().seq()).as("seq continues after a restart").isEqualTo(2);
        } else {
            assertThat(await(again.epoch("dev"))).as("nothing survived: a new epoch").isNotEqualTo(epoch);
            assertThat(await(again.recent("dev", 5)).messages()).isEmpty();
        }
    }

    @Test
    void retentionByCountKeepsTheLastMessagesOfEachRoom() {
        History h = open(settings().withMaxMessagesPerRoom(5));
        for (int i = 1; i <= 12; i++) {
            append(h, "dev", "m" + i);
        }
        append(h, "ops", "x");
        retain(h);
        Page page = await(h.recent("dev", 50));
        assertThat(seqs(page)).containsExactlyElementsOf(range(8, 12));
        assertThat(page.hasMore()).isFalse();
        assertThat(page.complete()).as("older messages were dropped").isFalse();
        assertThat(await(h.after("dev", 2, 100)).complete()).as("a resume from before what is kept").isFalse();
        Page resume = await(h.after("dev", 7, 100));
        assertThat(seqs(resume)).containsExactlyElementsOf(range(8, 12));
        assertThat(resume.complete()).isTrue();
        assertThat(seqs(await(h.recent("ops", 50)))).containsExactly(1L);
        assertThat(append(h, "dev", "m13").message().seq()).isEqualTo(13);
    }

    @Test
    void retentionByAgeDropsOldMessages() {
        History h = open(settings().withMaxAge(Duration.ofHours(1)));
        for (int i = 1; i <= 3; i++) {
            append(h, "dev", "old" + i);
        }
        clock.advance(Duration.ofHours(2));
        append(h, "dev", "new4");
        append(h, "dev", "new5");
        retain(h);
        Page page = await(h.recent("dev", 50));
        assertThat(page.messages()).extracting(ServerMessage.Chat::message).containsExactly("new4", "new5");
        assertThat(page.complete()).isFalse();
        assertThat(await(h.after("dev", 0, 100)).complete()).isFalse();
    }
}
