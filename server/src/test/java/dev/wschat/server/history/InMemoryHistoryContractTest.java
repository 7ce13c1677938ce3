package dev.wschat.server.history;

import java.nio.file.Path;

/** The {@link History} contract for {@link InMemoryHistory} ({@code --history none}). */
class InMemoryHistoryContractTest extends HistoryContractTest {

    @Override
    History create(HistorySettings s, MutableClock clock) {
        int perRoom = s.maxMessagesPerRoom() == 0 ? 1_000 : s.maxMessagesPerRoom();
        return new InMemoryHistory(perRoom, 100, s.maxAge(), s.dedupWindow(), clock);
    }

    @Override
    void retain(History history) {
        // applied on every read
    }

    @Override
    boolean survivesRestart() {
        return false;
    }

    @Override
    String completionThread() {
        return null;
    }

    @Override
    Path dataDir() {
        return Path.of("unused");
    }
}
