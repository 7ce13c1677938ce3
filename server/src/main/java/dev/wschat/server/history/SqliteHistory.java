package dev.wschat.server.history;

import dev.wschat.protocol.ServerMessage;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * History in one SQLite file, {@code <dataDir>/wschat.db} (WAL, {@code synchronous=FULL}): the schema is in
 * docs/history.md. One writer thread, {@code wschat-history-writer}, takes everything queued and stores it in one
 * transaction (one fsync); one completer thread, {@code wschat-history-completer}, then completes the batch's
 * appends in queue order (publish, acks) while the writer stores the next batch, so a room's appends complete
 * in seq order on that thread. The queue in front of it is bounded: past it an append fails at once with
 * {@link HistoryUnavailableException}. Reads run on their own thread and connection (WAL lets them read
 * while the writer writes). Retention (count and age per room) and dedup expiry run on the writer thread
 * between batches, a few hundred rows at a time. Direct messages are not stored yet.
 *
 * <p>A write that fails (a full disk: {@code SQLITE_FULL}) fails its batch with {@link HistoryUnavailableException}
 * and makes the store {@link #writable() unwritable}: the writer drops its {@link WriteConnection} (SQLite has rolled
 * the transaction back already, and the old statements and connection state would fail every later batch), opens a
 * new one for the next batch, and while idle probes once a second with a small write, so the store is writable again
 * as soon as space returns, without a restart.
 */
public final class SqliteHistory implements History {
    /** The columns a page reads, in the order {@code select} maps them. */
    private static final String SELECT_MESSAGES = "SELECT seq, id, sender_id, sender_name, body, sent_at FROM messages";

    /** The database file's name in the data directory. */
    public static final String FILE_NAME = "wschat.db";
    private static final Logger LOG = LogManager.getLogger(SqliteHistory.class);
    private static final int SCHEMA_VERSION = 2;
    /** The most appends in one transaction: bounds one batch's latency and memory. */
    private static final int MAX_BATCH = 4_096;
    /** Rows retention deletes per step, so a step never holds the writer for long. */
    private static final int RETENTION_BATCH = 500;
    private static final long RETENTION_INTERVAL_MS = 1_000;
    private static final int READ_QUEUE = 10_000;
    /** Committed batches waiting for their completions before the writer waits. */
    private static final int COMPLETER_BATCHES = 4;
    private static final long CLOSE_TIMEOUT_MS = 30_000;
    /** How often an idle writer tries a write while the store is unwritable. */
    private static final long PROBE_INTERVAL_MS = 1_000;
    /** The size of the probe's row: a page's worth, so it needs a page of room as a batch would. */
    private static final int PROBE_BYTES = 4_096;

    private final Path file;
    private final HistorySettings settings;
    private final Clock clock;
    private final BlockingQueue<Op> queue;
    private final AtomicLong refused = new AtomicLong();
    private final Thread writer;
    /**
     * Runs the committed batches' completions (publish, acks) in commit order, so the writer starts the next
     * transaction while the last one's messages go out; bounded: the writer waits when it is this far ahead.
     */
    private final ThreadPoolExecutor completer;
    private final ThreadPoolExecutor reader;
    /** Runs on every write connection opened; tests set a page limit with it. */
    private final WriteConnection.Setup writerSetup;
    /** The writer's connection and statements; null after a failed write until the writer opens new ones. */
    private WriteConnection writing;
    private final Connection readConnection;
    /** False from a failed write until a write succeeds. */
    private volatile boolean writable = true;
    private long nextProbeMs;
    /** The epoch given to every room created in this database; a new database has a new one. */
    private final String databaseEpoch;
    private volatile boolean closing;
    private volatile boolean writerDone;

    // Writer-thread state.
    private final Map<String, Long> lastSeq = new HashMap<>();
    /** Rooms that may hold more than the count limit: appended to since the last check, or all at start. */
    private final Set<String> overCount = new LinkedHashSet<>();
    private long nextRetentionMs;
    private boolean retentionBehind;

    /**
     * Opens (creating when missing) the database under {@code settings.dataDir()} and starts its writer.
     *
     * @param settings where and how much to keep
     * @throws HistoryOpenException naming the file when the directory cannot be created or written, or the
     *                              file is not a usable database
     */
    public SqliteHistory(HistorySettings settings) {
        this(settings, Clock.systemUTC());
    }

    SqliteHistory(HistorySettings settings, Clock clock) {
        this(settings, clock, WriteConnection.Setup.NONE);
    }

    SqliteHistory(HistorySettings settings, Clock clock, WriteConnection.Setup writerSetup) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.writerSetup = Objects.requireNonNull(writerSetup, "writerSetup");
        Path dir = settings.dataDir().toAbsolutePath();
        this.file = dir.resolve(FILE_NAME);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new HistoryOpenException("Cannot create the data directory " + dir + " for " + file + ": "
                    + describe(e), e);
        }
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new HistoryOpenException("Cannot write the data directory " + dir + " for " + file, null);
        }
        Connection w = null;
        Connection r = null;
        WriteConnection prepared;
        try {
            w = WriteConnection.connect(file, writerSetup);
            try (Statement s = w.createStatement()) {
                int version = schemaVersion(w);
                if (version > SCHEMA_VERSION) {
                    throw new SQLException("schema version " + version + " is newer than this server's "
                            + SCHEMA_VERSION);
                }
                if (version == 1) {
                    migrateFromVersion1(s);
                }
                createSchema(s);
            }
            this.databaseEpoch = loadEpoch(w);
            w.commit();
            r = DriverManager.getConnection("jdbc:sqlite:" + file, WriteConnection.connectionProperties());
            try (Statement s = r.createStatement()) {
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("PRAGMA query_only=true");
            }
            r.setAutoCommit(false);
            prepared = WriteConnection.prepare(w);
            try (Statement s = w.createStatement(); ResultSet rs = s.executeQuery("SELECT name FROM rooms")) {
                while (rs.next()) {
                    overCount.add(rs.getString(1));
                }
            }
            w.commit();
        } catch (SQLException e) {
            closeQuietly(r);
            closeQuietly(w);
            throw new HistoryOpenException("Cannot open the history database " + file + ": " + describe(e), e);
        }
        this.writing = prepared;
        this.readConnection = r;
        this.queue = new LinkedBlockingQueue<>(settings.queueCapacity());
        this.reader = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(READ_QUEUE),
                task -> {
                    Thread t = new Thread(task, "wschat-history-reader");
                    t.setDaemon(true);
                    return t;
                });
        this.completer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(COMPLETER_BATCHES), task -> {
                    Thread t = new Thread(task, "wschat-history-completer");
                    t.setDaemon(true);
                    return t;
                }, (task, pool) -> {
                    // Full: the writer waits for room, on its own thread (never an event loop's).
                    try {
                        pool.getQueue().put(task);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        task.run();
                    }
                });
        this.writer = new Thread(this::runWriter, "wschat-history-writer");
        writer.setDaemon(true);
        writer.start();
        LOG.info("history: {} open (epoch {}, {} rooms)", file, databaseEpoch, overCount.size());
    }

    /**
     * Version 2. Messages and client message ids are rowid tables, so an append goes to the end of the table
     * (in time order) and only a small index entry lands at its room's place; version 1 kept whole rows in
     * (room, seq) order, and a batch over many rooms rewrote a page per room. Retention by age walks the
     * rowid order, which is the time order, so no age index is kept.
     */
    private static void createSchema(Statement s) throws SQLException {
        s.execute("CREATE TABLE IF NOT EXISTS rooms (name TEXT PRIMARY KEY, epoch TEXT NOT NULL,"
                + " last_seq INTEGER NOT NULL, created_ms INTEGER NOT NULL) WITHOUT ROWID");
        s.execute("CREATE TABLE IF NOT EXISTS messages (room TEXT NOT NULL, seq INTEGER NOT NULL,"
                + " id TEXT NOT NULL, sender_id TEXT NOT NULL, sender_name TEXT NOT NULL, body TEXT NOT NULL,"
                + " sent_at TEXT NOT NULL, stored_ms INTEGER NOT NULL)");
        s.execute("CREATE UNIQUE INDEX IF NOT EXISTS messages_by_room ON messages(room, seq)");
        s.execute("CREATE TABLE IF NOT EXISTS dedup (sender TEXT NOT NULL, client_msg_id TEXT NOT NULL,"
                + " room TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, stored_ms INTEGER NOT NULL)");
        s.execute("CREATE UNIQUE INDEX IF NOT EXISTS dedup_by_key ON dedup(sender, client_msg_id)");
    }

    /** The file's schema version: 0 for a new file. */
    private static int schemaVersion(Connection w) throws SQLException {
        try (PreparedStatement get = w.prepareStatement("SELECT value FROM meta WHERE key = 'schema_version'");
             ResultSet rs = get.executeQuery()) {
            return rs.next() ? Integer.parseInt(rs.getString(1)) : 0;
        } catch (NumberFormatException e) {
            throw new SQLException("the schema version in table meta is not a number: " + e.getMessage(), e);
        }
    }

    /** Rewrites a version-1 file's messages and client message ids into version 2's tables, in one transaction. */
    private void migrateFromVersion1(Statement s) throws SQLException {
        long started = System.nanoTime();
        s.execute("DROP INDEX IF EXISTS messages_by_age");
        s.execute("DROP INDEX IF EXISTS dedup_by_age");
        s.execute("ALTER TABLE messages RENAME TO messages_v1");
        s.execute("ALTER TABLE dedup RENAME TO dedup_v1");
        createSchema(s);
        int messages = s.executeUpdate("INSERT INTO messages(room, seq, id, sender_id, sender_name, body, sent_at,"
                + " stored_ms) SELECT room, seq, id, sender_id, sender_name, body, sent_at, stored_ms FROM messages_v1"
                + " ORDER BY stored_ms, room, seq");
        s.executeUpdate("INSERT INTO dedup(sender, client_msg_id, room, seq, id, stored_ms) SELECT sender,"
                + " client_msg_id, room, seq, id, stored_ms FROM dedup_v1 ORDER BY stored_ms");
        s.execute("DROP TABLE messages_v1");
        s.execute("DROP TABLE dedup_v1");
        s.executeUpdate("UPDATE meta SET value = '" + SCHEMA_VERSION + "' WHERE key = 'schema_version'");
        LOG.info("history: {} moved from schema 1 to {} ({} messages, {} ms)", file, SCHEMA_VERSION, messages,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    private String loadEpoch(Connection w) throws SQLException {
        try (PreparedStatement get = w.prepareStatement("SELECT value FROM meta WHERE key = ?")) {
            get.setString(1, "epoch");
            try (ResultSet rs = get.executeQuery()) {
                if (rs.next()) {
                    return rs.getString(1);
                }
            }
        }
        String epoch = Long.toString(clock.millis(), 36) + "-" + UUID.randomUUID().toString().substring(0, 8);
        try (PreparedStatement put = w.prepareStatement("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)")) {
            put.setString(1, "epoch");
            put.setString(2, epoch);
            put.executeUpdate();
            put.setString(1, "schema_version");
            put.setString(2, Integer.toString(SCHEMA_VERSION));
            put.executeUpdate();
        }
        return epoch;
    }

    /** The database file. */
    public Path file() {
        return file;
    }

    @Override
    public CompletionStage<Appended> append(ServerMessage.Chat draft, String clientMsgId, String senderKey,
                                            Consumer<Appended> onStored) {
        Objects.requireNonNull(draft, "draft");
        Objects.requireNonNull(draft.room(), "draft.room");
        Objects.requireNonNull(draft.id(), "draft.id");
        Objects.requireNonNull(draft.timestamp(), "draft.timestamp");
        Objects.requireNonNull(senderKey, "senderKey");
        Objects.requireNonNull(onStored, "onStored");
        Append op = new Append(draft, clientMsgId, senderKey, onStored);
        return enqueue(op, op.future);
    }

    private <T> CompletableFuture<T> enqueue(Op op, CompletableFuture<T> future) {
        if (closing) {
            refused.incrementAndGet();
            return CompletableFuture.failedFuture(new HistoryUnavailableException("history is closed: " + file));
        }
        if (!queue.offer(op)) {
            refused.incrementAndGet();
            return CompletableFuture.failedFuture(new HistoryUnavailableException(
                    "history queue full (" + settings.queueCapacity() + " waiting): " + file));
        }
        // close() may have swept the queue between our check and our offer: then nobody else will fail it.
        if (writerDone && queue.remove(op)) {
            refused.incrementAndGet();
            op.fail(new HistoryUnavailableException("history is closed: " + file));
        }
        return future;
    }

    /** Runs {@code task} on the writer thread, in queue order; for tests and retention on demand. */
    CompletableFuture<Void> onWriter(Runnable task) {
        Task op = new Task(task);
        return enqueue(op, op.future);
    }

    /** Runs {@code task} with the writer's connection (new after a failed write) on the writer thread; for tests. */
    CompletableFuture<Void> onWriterConnection(WriteConnection.Setup task) {
        return onWriter(() -> {
            try {
                task.apply(writer().connection());
            } catch (SQLException e) {
                throw new HistoryUnavailableException("history writer connection: " + file, e);
            }
        });
    }

    /** Runs retention until nothing more is due, on the writer thread. */
    CompletableFuture<Void> retainNow() {
        return onWriter(() -> {
            try {
                while (retentionStep(RETENTION_BATCH) > 0) {
                    // each step is bounded; loop until nothing is due
                }
            } catch (SQLException e) {
                writeFailed();
                throw new HistoryUnavailableException("retention failed: " + file, e);
            }
        });
    }

    @Override
    public CompletionStage<Page> recent(String room, int limit) {
        Objects.requireNonNull(room, "room");
        int n = Math.min(Integer.MAX_VALUE - 1, Math.max(0, limit));
        return read(() -> {
            RoomState state = roomState(room);
            List<ServerMessage.Chat> rows = select(room, SELECT_MESSAGES
                    + " WHERE room = ? ORDER BY seq DESC LIMIT ?", null, n + 1);
            boolean hasMore = rows.size() > n;
            List<ServerMessage.Chat> page = newestFirstToPage(rows, n);
            boolean complete = !hasMore && (page.isEmpty() ? state.lastSeq == 0 : page.get(0).seq() == 1);
            return new Page(room, state.epoch, page, hasMore, complete, state.lastSeq);
        });
    }

    @Override
    public CompletionStage<Page> after(String room, long seq, int limit) {
        Objects.requireNonNull(room, "room");
        int n = Math.min(Integer.MAX_VALUE - 1, Math.max(0, limit));
        return read(() -> {
            RoomState state = roomState(room);
            List<ServerMessage.Chat> rows = select(room, SELECT_MESSAGES
                    + " WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?", seq, n + 1);
            boolean hasMore = rows.size() > n;
            List<ServerMessage.Chat> page = hasMore ? rows.subList(0, n) : rows;
            boolean complete = !hasMore && (page.isEmpty() ? seq == state.lastSeq : page.get(0).seq() == seq + 1);
            return new Page(room, state.epoch, page, hasMore, complete, state.lastSeq);
        });
    }

    @Override
    public CompletionStage<Page> before(String room, long seq, int limit) {
        Objects.requireNonNull(room, "room");
        int n = Math.min(MAX_PAGE, Math.max(0, limit));
        return read(() -> {
            RoomState state = roomState(room);
            List<ServerMessage.Chat> rows = select(room, SELECT_MESSAGES
                    + " WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?", seq, n + 1);
            boolean hasMore = rows.size() > n;
            List<ServerMessage.Chat> page = newestFirstToPage(rows, n);
            boolean complete = !hasMore && (page.isEmpty() ? seq <= 1 || state.lastSeq == 0 : page.get(0).seq() == 1);
            return new Page(room, state.epoch, page, hasMore, complete, state.lastSeq);
        });
    }

    @Override
    public CompletionStage<String> epoch(String room) {
        Objects.requireNonNull(room, "room");
        return read(() -> roomState(room).epoch);
    }

    @Override
    public long refusedAppends() {
        return refused.get();
    }

    /**
     * Whether the store can write: false from a failed write (a full disk) until a write succeeds again, which an
     * idle writer tries once a second. Cheap and thread-safe, for {@code /ready} and a gauge.
     */
    public boolean writable() {
        return writable;
    }

    /** Appends waiting for the writer now. */
    public int queued() {
        return queue.size();
    }

    private static List<ServerMessage.Chat> newestFirstToPage(List<ServerMessage.Chat> rows, int n) {
        List<ServerMessage.Chat> page = new ArrayList<>(rows.subList(0, Math.min(n, rows.size())));
        Collections.reverse(page);
        return page;
    }

    private interface Read<T> {
        T run() throws SQLException;
    }

    /** Runs a read on the reader thread in one read transaction (one snapshot of the database). */
    private <T> CompletionStage<T> read(Read<T> body) {
        CompletableFuture<T> future = new CompletableFuture<>();
        try {
            reader.execute(() -> {
                try {
                    T result = body.run();
                    readConnection.commit();
                    future.complete(result);
                } catch (SQLException | RuntimeException e) {
                    try {
                        readConnection.rollback();
                    } catch (SQLException ignored) {
                        // the read failed already; that is what the caller hears about
                    }
                    future.completeExceptionally(new HistoryUnavailableException("history read failed: " + file, e));
                }
            });
        } catch (RejectedExecutionException e) {
            future.completeExceptionally(new HistoryUnavailableException("history reads queue full or closed: "
                    + file, e));
        }
        return future;
    }

    private record RoomState(String epoch, long lastSeq) {
    }

    private RoomState roomState(String room) throws SQLException {
        try (PreparedStatement ps = readConnection.prepareStatement("SELECT epoch, last_seq FROM rooms WHERE name = ?")) {
            ps.setString(1, room);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new RoomState(rs.getString(1), rs.getLong(2)) : new RoomState(databaseEpoch, 0);
            }
        }
    }

    private List<ServerMessage.Chat> select(String room, String sql, Long seq, int limit) throws SQLException {
        try (PreparedStatement ps = readConnection.prepareStatement(sql)) {
            int i = 1;
            ps.setString(i++, room);
            if (seq != null) {
                ps.setLong(i++, seq);
            }
            ps.setInt(i, limit);
            List<ServerMessage.Chat> rows = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new ServerMessage.Chat(room, rs.getString(2), rs.getLong(1),
                            new ServerMessage.User(rs.getString(3), rs.getString(4)), rs.getString(5), rs.getString(6)));
                }
            }
            return rows;
        }
    }

    // ---- the writer thread ----

    private void runWriter() {
        List<Op> batch = new ArrayList<>();
        nextRetentionMs = clock.millis() + RETENTION_INTERVAL_MS;
        try {
            while (true) {
                Op first;
                try {
                    first = queue.poll(200, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                if (first == null) {
                    if (closing) {
                        break;
                    }
                    if (writable) {
                        retainIfDue(0);
                    } else {
                        probeIfDue();
                    }
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                int size = batch.size();
                boolean stop = process(batch);
                batch.clear();
                if (stop) {
                    break;
                }
                if (writable) {
                    retainIfDue(size);
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.error("history: writer of {} stopped", file, e);
        } finally {
            writerDone = true;
            List<Op> left = new ArrayList<>();
            queue.drainTo(left);
            for (Op op : left) {
                refused.incrementAndGet();
                op.fail(new HistoryUnavailableException("history is closed: " + file));
            }
        }
    }

    /**
     * Runs a retention step once a second, or after every batch while retention is behind; a step may delete
     * twice what the last batch appended, so deleting keeps up with appending at any rate.
     */
    private void retainIfDue(int appended) {
        long now = clock.millis();
        if (now < nextRetentionMs && !retentionBehind) {
            return;
        }
        nextRetentionMs = now + RETENTION_INTERVAL_MS;
        int budget = Math.max(RETENTION_BATCH, 2 * appended);
        try {
            retentionBehind = retentionStep(budget) >= budget;
        } catch (SQLException e) {
            retentionBehind = false;
            LOG.warn("history: retention in {} failed: {}", file, describe(e));
            writeFailed();
        }
    }

    /**
     * After a failed write: SQLite may have rolled the transaction back itself ({@code SQLITE_FULL}), leaving the
     * connection outside a transaction and its statements unusable, so the writer drops both and opens new ones on
     * its next write. The cached seqs go too: the next batch reads each room's last seq from the database.
     */
    private void writeFailed() {
        if (writable) {
            LOG.error("history: {} cannot write; appends fail until a write succeeds again", file);
        }
        writable = false;
        nextProbeMs = clock.millis() + PROBE_INTERVAL_MS;
        lastSeq.clear();
        if (writing != null) {
            writing.close();
            writing = null;
        }
    }

    /** The writer's connection and statements, opened anew after a failed write. */
    private WriteConnection writer() throws SQLException {
        if (writing == null) {
            writing = WriteConnection.prepare(WriteConnection.connect(file, writerSetup));
        }
        return writing;
    }

    /** While unwritable and idle: once a second, a write of about a page (then deleted) tells whether space is back. */
    private void probeIfDue() {
        long now = clock.millis();
        if (now < nextProbeMs) {
            return;
        }
        nextProbeMs = now + PROBE_INTERVAL_MS;
        try {
            Connection w = writer().connection();
            try (PreparedStatement put = w.prepareStatement("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)");
                 PreparedStatement remove = w.prepareStatement("DELETE FROM meta WHERE key = ?")) {
                put.setString(1, "write_probe");
                put.setString(2, "0".repeat(PROBE_BYTES));
                put.executeUpdate();
                remove.setString(1, "write_probe");
                remove.executeUpdate();
                w.commit();
            }
            writable = true;
            LOG.info("history: {} can write again", file);
        } catch (SQLException | RuntimeException e) {
            LOG.debug("history: {} still cannot write: {}", file, describe(e));
            writeFailed();
        }
    }

    /**
     * Stores a batch's appends in one transaction, then completes them in order; tasks run in their place.
     *
     * @return true when the batch held the stop mark (close() queued it after the last accepted append)
     */
    private boolean process(List<Op> batch) {
        List<Append> appends = new ArrayList<>(batch.size());
        boolean stop = false;
        for (Op op : batch) {
            if (op instanceof Append a) {
                appends.add(a);
            } else if (op instanceof Task t) {
                commitAndComplete(appends);
                appends.clear();
                t.run(completer);
            } else if (op == STOP) {
                stop = true;
            }
        }
        commitAndComplete(appends);
        return stop;
    }

    private void commitAndComplete(List<Append> appends) {
        if (appends.isEmpty()) {
            return;
        }
        Map<String, Long> before = new HashMap<>();
        Map<String, Remembered> batchIds = new HashMap<>();
        try {
            WriteConnection w = writer();
            long now = clock.millis();
            for (Append a : appends) {
                a.result = store(a, now, before, batchIds);
            }
            for (Map.Entry<String, Long> e : before.entrySet()) {
                w.updateRoom.setLong(1, lastSeq.get(e.getKey()));
                w.updateRoom.setString(2, e.getKey());
                w.updateRoom.executeUpdate();
            }
            w.connection().commit();
        } catch (SQLException | RuntimeException e) {
            if (writing != null) {
                try {
                    writing.connection().rollback();
                } catch (SQLException r) {
                    e.addSuppressed(r);
                }
            }
            // Nothing of the batch is stored: its seqs are given out again (writeFailed re-reads them all).
            for (Map.Entry<String, Long> b : before.entrySet()) {
                if (b.getValue() < 0) {
                    lastSeq.remove(b.getKey());
                } else {
                    lastSeq.put(b.getKey(), b.getValue());
                }
            }
            boolean wasWritable = writable;
            writeFailed();
            if (wasWritable) {
                LOG.error("history: storing {} messages in {} failed: {}", appends.size(), file, describe(e));
            } else {
                LOG.debug("history: storing {} messages in {} failed again: {}", appends.size(), file, describe(e));
            }
            List<Append> failed = List.copyOf(appends);
            refused.addAndGet(failed.size());
            completer.execute(() -> {
                for (Append a : failed) {
                    a.fail(new HistoryUnavailableException("history write failed: " + file, e));
                }
            });
            return;
        }
        if (!writable) {
            writable = true;
            LOG.info("history: {} can write again", file);
        }
        overCount.addAll(before.keySet());
        List<Append> stored = List.copyOf(appends);
        completer.execute(() -> complete(stored));
    }

    /** Publishes (onStored) and completes a committed batch, in its order; on the completer thread. */
    private static void complete(List<Append> appends) {
        for (Append a : appends) {
            try {
                a.onStored.accept(a.result);
            } catch (RuntimeException e) {
                LOG.warn("[{}] onStored failed for seq {}", a.draft.room(), a.result.message().seq(), e);
            }
            a.future.complete(a.result);
        }
    }

    private record Remembered(String room, long seq, String id) {
    }

    private Appended store(Append a, long now, Map<String, Long> before, Map<String, Remembered> batchIds)
            throws SQLException {
        ServerMessage.Chat draft = a.draft;
        String room = draft.room();
        String dedupKey = a.clientMsgId == null ? null : a.senderKey + '\u0000' + a.clientMsgId;
        Remembered earlier = dedupKey == null ? null : batchIds.get(dedupKey);
        if (earlier != null) {
            return new Appended(original(earlier, draft, batchIds), true);
        }
        long seq = currentSeq(room, now, before) + 1;
        if (dedupKey != null && !remember(writing.claimDedup, a, room, seq, now)) {
            // The id is known: a resend within the window, or a row past it that retention has not deleted yet.
            writing.selectDedup.setString(1, a.senderKey);
            writing.selectDedup.setString(2, a.clientMsgId);
            writing.selectDedup.setLong(3, now - settings.dedupWindow().toMillis());
            try (ResultSet rs = writing.selectDedup.executeQuery()) {
                if (rs.next()) {
                    earlier = new Remembered(rs.getString(1), rs.getLong(2), rs.getString(3));
                }
            }
            if (earlier != null) {
                return new Appended(original(earlier, draft, batchIds), true);
            }
            remember(writing.insertDedup, a, room, seq, now);
        }
        lastSeq.put(room, seq);
        writing.insertMessage.setString(1, room);
        writing.insertMessage.setLong(2, seq);
        writing.insertMessage.setString(3, draft.id());
        writing.insertMessage.setString(4, draft.from().id());
        writing.insertMessage.setString(5, draft.from().username());
        writing.insertMessage.setString(6, draft.message());
        writing.insertMessage.setString(7, draft.timestamp());
        writing.insertMessage.setLong(8, now);
        writing.insertMessage.executeUpdate();
        if (dedupKey != null) {
            batchIds.put(dedupKey, new Remembered(room, seq, draft.id()));
        }
        return new Appended(new ServerMessage.Chat(room, draft.id(), seq, draft.from(), draft.message(),
                draft.timestamp()), false);
    }

    /**
     * Keeps an append's client message id with the seq it is about to be stored under, in this transaction.
     *
     * @param statement {@code claimDedup} (stores nothing when the id is known) or {@code insertDedup} (replaces)
     * @return whether a row was written
     */
    private boolean remember(PreparedStatement statement, Append a, String room, long seq, long now)
            throws SQLException {
        statement.setString(1, a.senderKey);
        statement.setString(2, a.clientMsgId);
        statement.setString(3, room);
        statement.setLong(4, seq);
        statement.setString(5, a.draft.id());
        statement.setLong(6, now);
        return statement.executeUpdate() > 0;
    }

    /** The message stored earlier under a client message id; from the draft when retention removed it. */
    private ServerMessage.Chat original(Remembered earlier, ServerMessage.Chat draft, Map<String, Remembered> batch)
            throws SQLException {
        writing.selectMessage.setString(1, earlier.room);
        writing.selectMessage.setLong(2, earlier.seq);
        try (ResultSet rs = writing.selectMessage.executeQuery()) {
            if (rs.next()) {
                return new ServerMessage.Chat(earlier.room, earlier.id, earlier.seq,
                        new ServerMessage.User(rs.getString(1), rs.getString(2)), rs.getString(3), rs.getString(4));
            }
        }
        return new ServerMessage.Chat(earlier.room, earlier.id, earlier.seq, draft.from(), draft.message(),
                draft.timestamp());
    }

    /** The room's last seq, creating its row (with the database's epoch) on first use in this database. */
    private long currentSeq(String room, long now, Map<String, Long> before) throws SQLException {
        Long known = lastSeq.get(room);
        if (known == null) {
            writing.selectRoom.setString(1, room);
            try (ResultSet rs = writing.selectRoom.executeQuery()) {
                if (rs.next()) {
                    known = rs.getLong(1);
                }
            }
            if (known == null) {
                writing.insertRoom.setString(1, room);
                writing.insertRoom.setString(2, databaseEpoch);
                writing.insertRoom.setLong(3, now);
                writing.insertRoom.executeUpdate();
                known = 0L;
            }
            before.putIfAbsent(room, -1L);
        } else {
            before.putIfAbsent(room, known);
        }
        lastSeq.put(room, known);
        return known;
    }

    /**
     * One bounded step of retention, in its own transaction: messages past the age limit, rooms past the
     * count limit, client message ids past the dedup window.
     *
     * @return rows deleted
     */
    private int retentionStep(int budget) throws SQLException {
        int deleted = 0;
        long now = clock.millis();
        Connection connection = writer().connection();
        try {
            if (!settings.maxAge().isZero()) {
                try (PreparedStatement ps = connection.prepareStatement("DELETE FROM messages WHERE rowid IN"
                        + " (SELECT rowid FROM messages ORDER BY rowid LIMIT ?2) AND stored_ms < ?1")) {
                    ps.setLong(1, now - settings.maxAge().toMillis());
                    ps.setInt(2, budget);
                    deleted += ps.executeUpdate();
                }
            }
            int max = settings.maxMessagesPerRoom();
            if (max > 0) {
                try (PreparedStatement ps = connection.prepareStatement("DELETE FROM messages WHERE rowid IN"
                        + " (SELECT rowid FROM messages WHERE room = ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3)");
                     PreparedStatement last = connection.prepareStatement(
                             "SELECT last_seq FROM rooms WHERE name = ?")) {
                    var it = overCount.iterator();
                    while (it.hasNext() && deleted < budget) {
                        String room = it.next();
                        Long seq = lastSeq.get(room);
                        if (seq == null) {
                            last.setString(1, room);
                            try (ResultSet rs = last.executeQuery()) {
                                seq = rs.next() ? rs.getLong(1) : 0L;
                            }
                        }
                        ps.setString(1, room);
                        ps.setLong(2, seq - max);
                        ps.setInt(3, budget - deleted);
                        int n = ps.executeUpdate();
                        deleted += n;
                        if (deleted < budget) {
                            it.remove(); // this room is within the limit now
                        }
                    }
                }
            }
            try (PreparedStatement ps = connection.prepareStatement("DELETE FROM dedup WHERE rowid IN"
                    + " (SELECT rowid FROM dedup ORDER BY rowid LIMIT ?2) AND stored_ms < ?1")) {
                ps.setLong(1, now - settings.dedupWindow().toMillis());
                ps.setInt(2, budget);
                deleted += ps.executeUpdate();
            }
            connection.commit();
        } catch (SQLException e) {
            try {
                connection.rollback();
            } catch (SQLException r) {
                // SQLite rolled back already (SQLITE_FULL): the failure is what the caller hears about
                e.addSuppressed(r);
            }
            throw e;
        }
        return deleted;
    }

    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        try {
            // Behind every append accepted so far; waits for room while the writer drains a full queue.
            if (!queue.offer(STOP, CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                LOG.warn("history: could not queue the stop for {}; the writer stops on its next idle poll", file);
            }
            writer.join(CLOSE_TIMEOUT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            LOG.warn("history: writer of {} still busy after {} ms; closing anyway", file, CLOSE_TIMEOUT_MS);
        }
        // Every committed batch is published and acknowledged before close returns.
        completer.shutdown();
        try {
            if (!completer.awaitTermination(CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                LOG.warn("history: completions of {} still running after {} ms", file, CLOSE_TIMEOUT_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        reader.shutdown();
        try {
            if (!reader.awaitTermination(5, TimeUnit.SECONDS)) {
                reader.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(readConnection);
        if (!writer.isAlive() && writing != null) {
            writing.close();
        }
        LOG.info("history: {} closed", file);
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                LOG.debug("history: closing a connection failed: {}", e.getMessage());
            }
        }
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    /** Work for the writer thread. */
    private abstract static class Op {
        abstract void fail(Throwable cause);
    }

    /** The last op close() queues: the writer stops after storing everything before it. */
    private static final Op STOP = new Op() {
        @Override
        void fail(Throwable cause) {
            // nothing waits on it
        }
    };

    private static final class Append extends Op {
        final ServerMessage.Chat draft;
        final String clientMsgId;
        final String senderKey;
        final Consumer<Appended> onStored;
        final CompletableFuture<Appended> future = new CompletableFuture<>();
        Appended result;

        Append(ServerMessage.Chat draft, String clientMsgId, String senderKey, Consumer<Appended> onStored) {
            this.draft = draft;
            this.clientMsgId = clientMsgId;
            this.senderKey = senderKey;
            this.onStored = onStored;
        }

        @Override
        void fail(Throwable cause) {
            future.completeExceptionally(cause);
        }
    }

    private static final class Task extends Op {
        final Runnable body;
        final CompletableFuture<Void> future = new CompletableFuture<>();

        Task(Runnable body) {
            this.body = body;
        }

        /** Runs the body here (the writer) and completes the task after the batches before it (on the completer). */
        void run(java.util.concurrent.Executor completions) {
            RuntimeException failure = null;
            try {
                body.run();
            } catch (RuntimeException e) {
                failure = e;
            }
            RuntimeException f = failure;
            completions.execute(() -> {
                if (f == null) {
                    future.complete(null);
                } else {
                    future.completeExceptionally(f);
                }
            });
        }

        @Override
        void fail(Throwable cause) {
            future.completeExceptionally(cause);
        }
    }
}
