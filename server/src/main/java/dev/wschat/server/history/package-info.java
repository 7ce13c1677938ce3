/**
 * The history seam: appending chat messages (dedup by client message id, the room's seq), reading pages of a
 * room (recent, after a seq, before a seq) and each room's epoch. {@link dev.wschat.server.history.SqliteHistory}
 * keeps them on disk, {@link dev.wschat.server.history.InMemoryHistory} in memory ({@code --history none}).
 */
package dev.wschat.server.history;
