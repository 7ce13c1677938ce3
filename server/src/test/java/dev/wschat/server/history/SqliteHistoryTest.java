package dev.wschat.server.history;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@link History} contract for {@link SqliteHistory}, and what only a store on disk promises. */
class SqliteHistoryTest extends HistoryContractTest {
    @TempDir
    Path dir;

    @Override
    History create(HistorySettings s, MutableClock clock) {
        return new SqliteHistory(s, clock);
    }

    @Override
    void retain(History history) {
        await(((SqliteHistory) history).retainNow());
    }

    @Override
    boolean survivesRestart() {
        return true;
    }

    @Override
    String completionThread() {
        return "wschat-history-completer";
    }

    @Override
    Path dataDir() {
        return dir.resolve("data");
    }

    @Test
    void pastTheQueueBoundAppendsAreRefusedAndCounted() throws Exception {
        SqliteHistory h = (SqliteHistory) open(settings().withQueueCapacity(10));
        CountDownLatch writerBusy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> blocker = h.onWriter(() -> {
            writerBusy.countDown();
            try {
                release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(writerBusy.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        List<CompletableFuture<Appended>> queued = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            queued.add(h.append(draft("dev", "m" + i), null, "a1").toCompletableFuture());
        }
        CompletableFuture<Appended> refused = h.append(draft("dev", "one too many"), null, "a1").toCompletableFuture();
        assertThat(refused).isCompletedExceptionally();
        assertThatThrownBy(refused::join).hasCauseInstanceOf(HistoryUnavailableException.class)
                .hasMessageContaining("queue full");
        assertThat(h.refusedAppends()).isEqualTo(1);

        release.countDown();
        await(blocker);
        assertThat(queued.stream().map(f -> await(f).message().seq()).toList()).containsExactlyElementsOf(range(1, 10));
        assertThat(append(h, "dev", "after").message().seq()).isEqualTo(11);
    }

    @Test
    void closeStoresEverythingQueued() {
        SqliteHistory h = (SqliteHistory) open();
        List<CompletableFuture<Appended>> pending = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            pending.add(h.append(draft("dev", "m" + i), null, "a1").toCompletableFuture());
        }
        h.close();
        assertThat(pending).allSatisfy(f -> assertThat(f).isCompleted().isNotCompletedExceptionally());
        assertThat(h.append(draft("dev", "late"), null, "a1").toCompletableFuture()).isCompletedExceptionally();

        History again = open();
        Page page = await(again.recent("dev", 5_000));
        assertThat(seqs(page)).containsExactlyElementsOf(range(1, 2_000));
    }

    @Test
    void anOperatorCanReadTheMessagesWithPlainSql() throws Exception {
        History h = open();
        append(h, "dev", "hello");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir().resolve(SqliteHistory.FILE_NAME));
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT room, seq, sender_name, body FROM messages ORDER BY room, seq")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("dev");
            assertThat(rs.getLong(2)).isEqualTo(1);
            assertThat(rs.getString(3)).isEqualTo("alice");
            assertThat(rs.getString(4)).isEqualTo("hello");
        }
    }

    @Test
    void aNewDataDirectoryIsANewEpoch() {
        History first = open();
        append(first, "dev", "a");
        String epoch = await(first.epoch("dev"));
        History other = open(HistorySettings.defaults(dir.resolve("other")));
        assertThat(await(other.epoch("dev"))).isNotEqualTo(epoch);
        assertThat(append(other, "dev", "b").message().seq()).isEqualTo(1);
    }

    @Test
    void aCorruptDatabaseFileIsRefusedWithItsName() throws IOException {
        Path data = dataDir();
        Files.createDirectories(data);
        Path file = data.resolve(SqliteHistory.FILE_NAME);
        Files.write(file, "this is not a database, just text that is long enough to look like a header"
                .repeat(100).getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> open())
                .isInstanceOf(HistoryOpenException.class)
                .hasMessageContaining(file.toAbsolutePath().toString())
                .hasMessageContaining("not a database");
    }

    @Test
    void aDataDirectoryThatCannotBeCreatedIsRefusedWithTheFileName() throws IOException {
        Path blocker = dir.resolve("a-file");
        Files.writeString(blocker, "x");
        Path data = blocker.resolve("data");
        assertThatThrownBy(() -> open(HistorySettings.defaults(data)))
                .isInstanceOf(HistoryOpenException.class)
                .hasMessageContaining(data.toAbsolutePath().resolve(SqliteHistory.FILE_NAME).toString())
                .hasMessageContaining("Cannot create the data directory");
    }

    @Test
    void aDedupEntryOlderThanTheWindowIsForgotten() {
        History h = open();
        Appended first = await(h.append(draft("dev", "hello"), "c-1", "a1"));
        clock.advance(HistorySettings.DEFAULT_DEDUP_WINDOW.plusMinutes(1));
        retain(h);
        Appended later = await(h.append(draft("dev", "hello"), "c-1", "a1"));
        assertThat(later.duplicate()).isFalse();
        assertThat(later.message().seq()).isEqualTo(first.message().seq() + 1);
    }

    @Test
    void aDedupEntryPastTheWindowThatRetentionHasNotDeletedYetIsReplacedByTheNewMessage() {
        History h = open();
        Appended first = await(h.append(draft("dev", "hello"), "c-1", "a1"));
        clock.advance(HistorySettings.DEFAULT_DEDUP_WINDOW.plusMinutes(1)); // no retention step: the old row stays

        Appended later = await(h.append(draft("dev", "hello again"), "c-1", "a1"));
        assertThat(later.duplicate()).isFalse();
        assertThat(later.message().seq()).isEqualTo(first.message().seq() + 1);
        Appended resent = await(h.append(draft("dev", "hello again"), "c-1", "a1"));
        assertThat(resent.duplicate()).isTrue();
        assertThat(resent.message().seq()).isEqualTo(later.message().seq());
        assertThat(resent.message().id()).isEqualTo(later.message().id());
    }

    @Test
    void aSchemaOneFileIsMovedToSchemaTwoKeepingMessagesEpochAndDedup() throws Exception {
        Path data = dataDir();
        Files.createDirectories(data);
        Path file = data.resolve(SqliteHistory.FILE_NAME);
        long now = clock.millis();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            // schema 1, as the server of 2026-12-01 wrote it
            s.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID");
            s.execute("CREATE TABLE rooms (name TEXT PRIMARY KEY, epoch TEXT NOT NULL, last_seq INTEGER NOT NULL,"
                    + " created_ms INTEGER NOT NULL) WITHOUT ROWID");
            s.execute("CREATE TABLE messages (room TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL,"
                    + " sender_id TEXT NOT NULL, sender_name TEXT NOT NULL, body TEXT NOT NULL, sent_at TEXT NOT NULL,"
                    + " stored_ms INTEGER NOT NULL, PRIMARY KEY (room, seq)) WITHOUT ROWID");
            s.execute("CREATE INDEX messages_by_age ON messages(stored_ms)");
            s.execute("CREATE TABLE dedup (sender TEXT NOT NULL, client_msg_id TEXT NOT NULL, room TEXT NOT NULL,"
                    + " seq INTEGER NOT NULL, id TEXT NOT NULL, stored_ms INTEGER NOT NULL,"
                    + " PRIMARY KEY (sender, client_msg_id)) WITHOUT ROWID");
            s.execute("CREATE INDEX dedup_by_age ON dedup(stored_ms)");
            s.execute("INSERT INTO meta VALUES ('epoch', 'old-epoch'), ('schema_version', '1')");
            s.execute("INSERT INTO rooms VALUES ('dev', 'old-epoch', 3, " + now + ")");
            for (int seq = 1; seq <= 3; seq++) {
                s.execute("INSERT INTO messages VALUES ('dev', " + seq + ", 'm" + seq + "', 'a1', 'alice', 'text " + seq
                        + "', '2026-12-01T00:00:0" + seq + ".000Z', " + (now + seq) + ")");
            }
            s.execute("INSERT INTO dedup VALUES ('a1', 'c-2', 'dev', 2, 'm2', " + (now + 2) + ")");
        }

        History h = open();

        assertThat(await(h.epoch("dev"))).isEqualTo("old-epoch");
        Page page = await(h.recent("dev", 10));
        assertThat(seqs(page)).containsExactly(1L, 2L, 3L);
        assertThat(page.messages().get(1).message()).isEqualTo("text 2");
        Appended again = await(h.append(draft("dev", "text 2"), "c-2", "a1"));
        assertThat(again.duplicate()).isTrue();
        assertThat(again.message().id()).isEqualTo("m2");
        assertThat(append(h, "dev", "fourth").message().seq()).isEqualTo(4);
        h.close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT value FROM meta WHERE key = 'schema_version'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("2");
        }
    }

    @Test
    void aFileOfANewerSchemaIsRefusedWithItsName() throws Exception {
        Path data = dataDir();
        Files.createDirectories(data);
        Path file = data.resolve(SqliteHistory.FILE_NAME);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID");
            s.execute("INSERT INTO meta VALUES ('schema_version', '9')");
        }
        assertThatThrownBy(() -> open()).isInstanceOf(HistoryOpenException.class)
                .hasMessageContaining(file.toAbsolutePath().toString())
                .hasMessageContaining("schema version 9 is newer than this server's 2");
    }
}
