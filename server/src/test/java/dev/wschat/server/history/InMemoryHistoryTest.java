package dev.wschat.server.history;

import dev.wschat.protocol.ServerMessage;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The in-memory history: per-room logs, the cap on rooms kept (least recently used dropped), and numbering. */
class InMemoryHistoryTest {
    private static final ServerMessage.User ALICE = new ServerMessage.User("a1", "alice");

    private static ServerMessage.Chat append(History history, String room, String text) {
        return history.append(new ServerMessage.Chat(room, "id-" + text, 0, ALICE, text, "2026-11-26T00:00:00.000Z"),
                null, ALICE.id()).toCompletableFuture().join().message();
    }

    private static List<String> texts(History history, String room) {
        return recent(history, room, 1_000).stream().map(ServerMessage.Chat::message).toList();
    }

    private static List<ServerMessage.Chat> recent(History history, String room, int limit) {
        return history.recent(room, limit).toCompletableFuture().join().messages();
    }

    @Test
    void keepsTheLastMessagesOfARoomInOrder() {
        InMemoryHistory history = new InMemoryHistory(3, 10);
        for (int i = 1; i <= 5; i++) {
            assertThat(append(history, "dev", "m" + i).seq()).isEqualTo(i);
        }
        assertThat(texts(history, "dev")).containsExactly("m3", "m4", "m5");
        assertThat(recent(history, "dev", 2)).extracting(ServerMessage.Chat::message).containsExactly("m4", "m5");
        assertThat(recent(history, "dev", 0)).isEmpty();
        assertThat(recent(history, "nowhere", 5)).isEmpty();
    }

    @Test
    void fillingOneRoomMoreThanTheCapDropsTheLeastRecentlyUsed() {
        InMemoryHistory history = new InMemoryHistory(10, 3);
        for (String room : List.of("r0", "r1", "r2", "r3")) {
            append(history, room, room + "-hello");
        }
        assertThat(history.roomCount()).isEqualTo(3);
        assertThat(texts(history, "r0")).as("the oldest room's log is dropped").isEmpty();
        assertThat(texts(history, "r1")).containsExactly("r1-hello");
        assertThat(texts(history, "r2")).containsExactly("r2-hello");
        assertThat(texts(history, "r3")).containsExactly("r3-hello");
    }

    @Test
    void appendingToOrReadingARoomKeepsIt() {
        InMemoryHistory history = new InMemoryHistory(10, 3);
        append(history, "r0", "a");
        append(history, "r1", "b");
        append(history, "r2", "c");
        assertThat(texts(history, "r0")).containsExactly("a");
        append(history, "r3", "d");
        assertThat(texts(history, "r1")).as("r1 was the least recently used once r0 was read").isEmpty();
        assertThat(texts(history, "r0")).containsExactly("a");

        append(history, "r2", "c2");
        append(history, "r4", "e");
        assertThat(texts(history, "r3")).as("r3 was the least recently used once r2 was appended to").isEmpty();
        assertThat(texts(history, "r2")).containsExactly("c", "c2");
        assertThat(history.roomCount()).isEqualTo(3);
    }

    @Test
    void aDroppedRoomUsedAgainNumbersPastItsOldMessages() {
        InMemoryHistory history = new InMemoryHistory(10, 1);
        append(history, "dev", "1");
        append(history, "dev", "2");
        append(history, "ops", "x");
        assertThat(texts(history, "dev")).isEmpty();
        long next = append(history, "dev", "3").seq();
        assertThat(next).as("seq never goes backwards in a room").isGreaterThan(2);
        assertThat(append(history, "dev", "4").seq()).isEqualTo(next + 1);
    }

    @Test
    void zeroRoomsKeepsNothingButStillNumbers() {
        InMemoryHistory history = new InMemoryHistory(100, 0);
        long previous = 0;
        for (int i = 0; i < 5; i++) {
            long seq = append(history, i % 2 == 0 ? "dev" : "ops", "m" + i).seq();
            assertThat(seq).isGreaterThan(previous);
            previous = seq;
        }
        assertThat(texts(history, "dev")).isEmpty();
        assertThat(texts(history, "ops")).isEmpty();
        assertThat(history.roomCount()).isZero();
    }

    @Test
    void theOneArgumentConstructorKeepsTheDefaultNumberOfRooms() {
        InMemoryHistory history = new InMemoryHistory(1);
        for (int i = 0; i <= HistorySettings.DEFAULT_ROOMS; i++) {
            append(history, "room-" + i, "hi");
        }
        assertThat(history.roomCount()).isEqualTo(HistorySettings.DEFAULT_ROOMS);
        assertThat(texts(history, "room-0")).isEmpty();
        assertThat(texts(history, "room-" + HistorySettings.DEFAULT_ROOMS)).containsExactly("hi");
    }

    @Test
    void closeDropsEverything() {
        InMemoryHistory history = new InMemoryHistory(10, 10);
        append(history, "dev", "a");
        history.close();
        assertThat(history.roomCount()).isZero();
        assertThat(texts(history, "dev")).isEmpty();
    }

    @Test
    void negativeSizesAreRefused() {
        assertThatThrownBy(() -> new InMemoryHistory(-1, 10)).hasMessageContaining("perRoom");
        assertThatThrownBy(() -> new InMemoryHistory(10, -1)).hasMessageContaining("maxRooms");
    }
}
