package dev.wschat.server.history;

import dev.wschat.protocol.ServerMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.wschat.server.history.HistoryContractTest.ALICE;
import static dev.wschat.server.history.HistoryContractTest.WAIT;
import static dev.wschat.server.history.HistoryContractTest.await;
import static dev.wschat.server.history.HistoryContractTest.range;
import static dev.wschat.server.history.HistoryContractTest.seqs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A full database heals: SQLite's {@code max_page_count} stands in for a full disk ({@code SQLITE_FULL}), and once
 * it is raised, appends and retention work again without a restart. Regression: after the first failed batch every
 * later one failed with "statement is not executing", and retention with "cannot rollback - no transaction is
 * active", until the server restarted.
 */
class SqliteHistoryFullDiskTest {
    private static final String ROOM = "general";
    private static final String FOUR_KB = "x".repeat(4_096);
    private static final long NO_LIMIT = 1L << 30;

    @TempDir
    Path dir;

    /** The page limit every write connection gets as it opens: the size of the "disk". */
    private final AtomicLong maxPages = new AtomicLong(NO_LIMIT);
    private SqliteHistory history;

    private SqliteHistory open() {
        history = new SqliteHistory(HistorySettings.defaults(dir), Clock.systemUTC(), this::limit);
        return history;
    }

    private void limit(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA max_page_count=" + maxPages.get());
        }
    }

    @AfterEach
    void close() {
        if (history != null) {
            history.close();
        }
    }

    @Test
    void aFullDatabaseRefusesAppendsThenTakesThemAgainOnceThereIsRoom() throws Exception {
        SqliteHistory h = open();
        List<Long> acked = new ArrayList<>(appendUntilFull(h));
        assertThat(acked).isNotEmpty();
        assertThat(h.writable()).isFalse();
        // still full: still refused, quickly, and retention fails cleanly too
        assertThat(tryAppend(h, "still full")).isNull();
        assertThat(h.writable()).isFalse();

        growTheDisk(h);
        for (int i = 0; i < 20; i++) {
            Long seq = tryAppend(h, "after " + i);
            assertThat(seq).as("append %s after the disk grew", i).isNotNull();
            acked.add(seq);
        }
        assertThat(h.writable()).isTrue();
        await(h.retainNow());

        assertThat(acked).isEqualTo(range(1, acked.size()));
        assertThat(seqs(await(h.after(ROOM, 0, 1_000)))).isEqualTo(acked);
    }

    @Test
    void anIdleStoreNoticesByItselfThatItCanWriteAgain() throws Exception {
        SqliteHistory h = open();
        appendUntilFull(h);
        assertThat(h.writable()).isFalse();

        growTheDisk(h);
        await().atMost(Duration.ofSeconds(10)).until(h::writable);
        assertThat(tryAppend(h, "after")).isNotNull();
    }

    @Test
    void retentionOnAFullDatabaseFailsWithoutBreakingLaterWrites() throws Exception {
        SqliteHistory h = open();
        List<Long> acked = appendUntilFull(h);
        try {
            await(h.retainNow());
        } catch (AssertionError expected) {
            // retention may fail while full (it deletes nothing here); what matters is what follows
        }
        growTheDisk(h);
        await(h.retainNow());
        Long next = tryAppend(h, "after");
        assertThat(next).isEqualTo(acked.size() + 1L);
    }

    /** Fills the database with 4 KB messages until an append is refused; returns the acknowledged seqs. */
    private List<Long> appendUntilFull(SqliteHistory h) throws Exception {
        List<Long> acked = new ArrayList<>();
        acked.add(tryAppend(h, "small"));
        maxPages.set(pageCount() + 8);
        await(h.onWriterConnection(this::limit));
        for (int i = 0; i < 200; i++) {
            Long seq = tryAppend(h, i + FOUR_KB);
            if (seq == null) {
                return acked;
            }
            acked.add(seq);
        }
        throw new AssertionError("200 appends of 4 KB and the database is not full");
    }

    private void growTheDisk(SqliteHistory h) {
        maxPages.set(NO_LIMIT);
        await(h.onWriterConnection(this::limit));
    }

    /** The seq an append was stored under, or null when it was refused as unavailable. */
    private static Long tryAppend(SqliteHistory h, String text) throws Exception {
        try {
            ServerMessage.Chat draft = new ServerMessage.Chat(ROOM, "id-" + UUID.randomUUID(), 0, ALICE, text,
                    "2026-11-26T00:00:00.000Z");
            return h.append(draft, null, ALICE.id())
                    .toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS).message().seq();
        } catch (ExecutionException | CompletionException e) {
            assertThat(e.getCause()).isInstanceOf(HistoryUnavailableException.class);
            return null;
        }
    }

    private long pageCount() throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(SqliteHistory.FILE_NAME));
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA page_count")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
