package dev.wschat.server.history;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.sqlite.SQLiteConfig;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * The history writer's connection with its prepared statements, opened together and dropped together: after a failed
 * write (a full disk) SQLite has rolled the transaction back itself and the statements are unusable, so
 * {@link SqliteHistory} closes this and opens a new one for its next write.
 */
final class WriteConnection implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(WriteConnection.class);

    /** Something done to each write connection as it opens (for tests: {@code PRAGMA max_page_count}). */
    interface Setup {
        /** Does nothing. */
        Setup NONE = c -> { };

        void apply(Connection connection) throws SQLException;
    }

    private final Connection connection;
    final PreparedStatement selectRoom;
    final PreparedStatement insertRoom;
    final PreparedStatement updateRoom;
    final PreparedStatement insertMessage;
    final PreparedStatement selectDedup;
    final PreparedStatement claimDedup;
    final PreparedStatement insertDedup;
    final PreparedStatement selectMessage;

    private WriteConnection(Connection w) throws SQLException {
        this.connection = w;
        selectRoom = w.prepareStatement("SELECT last_seq FROM rooms WHERE name = ?");
        insertRoom = w.prepareStatement("INSERT INTO rooms(name, epoch, last_seq, created_ms) VALUES (?, ?, 0, ?)");
        updateRoom = w.prepareStatement("UPDATE rooms SET last_seq = ? WHERE name = ?");
        insertMessage = w.prepareStatement("INSERT INTO messages(room, seq, id, sender_id, sender_name, body,"
                + " sent_at, stored_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        selectDedup = w.prepareStatement(
                "SELECT room, seq, id FROM dedup WHERE sender = ? AND client_msg_id = ? AND stored_ms >= ?");
        claimDedup = w.prepareStatement("INSERT OR IGNORE INTO dedup(sender, client_msg_id, room, seq, id,"
                + " stored_ms) VALUES (?, ?, ?, ?, ?, ?)");
        insertDedup = w.prepareStatement("INSERT OR REPLACE INTO dedup(sender, client_msg_id, room, seq, id,"
                + " stored_ms) VALUES (?, ?, ?, ?, ?, ?)");
        selectMessage = w.prepareStatement("SELECT sender_id, sender_name, body, sent_at FROM messages"
                + " WHERE room = ? AND seq = ?");
    }

    /** Opens a write connection to {@code file}: WAL, full sync, no auto-commit, the meta table present. */
    static Connection connect(Path file, Setup setup) throws SQLException {
        Connection w = DriverManager.getConnection("jdbc:sqlite:" + file, connectionProperties());
        try {
            try (Statement s = w.createStatement()) {
                s.execute("PRAGMA busy_timeout=5000");
                try (ResultSet rs = s.executeQuery("PRAGMA journal_mode=WAL")) {
                    if (!rs.next() || !"wal".equalsIgnoreCase(rs.getString(1))) {
                        throw new SQLException("journal_mode=WAL was refused");
                    }
                }
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA cache_size=-65536");
                s.execute("PRAGMA wal_autocheckpoint=8192");
                s.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID");
            }
            setup.apply(w);
            w.setAutoCommit(false);
            return w;
        } catch (SQLException | RuntimeException e) {
            closeQuietly(w);
            throw e;
        }
    }

    /** Prepares the writer's statements on {@code w}, whose schema is in place; closes it when that fails. */
    static WriteConnection prepare(Connection w) throws SQLException {
        try {
            return new WriteConnection(w);
        } catch (SQLException | RuntimeException e) {
            closeQuietly(w);
            throw e;
        }
    }

    /**
     * No generated keys: the driver would otherwise prepare and run {@code SELECT last_insert_rowid()} after every
     * insert (a fifth of the writer's time in {@code HistoryAppendBenchmark}); nothing here reads them.
     */
    static Properties connectionProperties() {
        SQLiteConfig config = new SQLiteConfig();
        config.setGetGeneratedKeys(false);
        return config.toProperties();
    }

    /** The connection, for the writer's other statements (retention, the probe) and its commits. */
    Connection connection() {
        return connection;
    }

    /** Closes the connection and with it the statements; a failure to close is only logged. */
    @Override
    public void close() {
        closeQuietly(connection);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            LOG.debug("history: closing the write connection failed: {}", e.getMessage());
        }
    }
}
