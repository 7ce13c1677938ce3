package dev.wschat.server;

/** Where chat messages are kept. */
public enum HistoryKind {
    /** SQLite under {@code --data-dir}: survives restarts. */
    SQLITE,
    /** In memory only: nothing survives a restart. */
    NONE
}
