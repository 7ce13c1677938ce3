package dev.wschat.server.history;

import dev.wschat.protocol.ServerMessage;

import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Stores chat messages per room, decides each room's order (seq 1, 2, 3, ... with no gaps) and answers pages
 * of it; implementations are thread-safe and never block the caller on I/O.
 *
 * <p>Ordering: a room's appends complete in seq order, never two at once. {@link SqliteHistory} completes
 * every append on its one completer thread ({@code wschat-history-completer}), in commit order; {@link InMemoryHistory} on the
 * appending thread, holding the room's lock. A caller that publishes from the completion (so that every
 * member sees seq order) passes the publishing step as {@code onStored}: it runs before the stage
 * completes, in seq order, where a dependent attached to the returned stage after append returned might
 * run on the attaching thread instead (when the stage completed first) and so out of order.
 *
 * <p>A Redis implementation fits the same seam: one Lua script per append (dedup, seq, XADD, PUBLISH)
 * whose replies, read in order from one connection, complete the stages.
 */
public interface History extends AutoCloseable {
    /** The most messages {@link #before} returns in one page. */
    int MAX_PAGE = 200;

    /**
     * Appends a message, assigning the room's next seq; or, when the same sender already stored
     * {@code clientMsgId} within the dedup window, stores nothing and answers the original message.
     *
     * @param draft       the message; its {@code seq} is ignored, its id, sender and timestamp are kept
     * @param clientMsgId the sender's own id of the message for dedup, or {@code null} for none
     * @param senderKey   who sent it (the user id): dedup is per sender, across connections
     * @param onStored    run with the result before the stage completes, in the room's seq order (see the
     *                    class comment); not run when the append fails
     * @return the stored message, or the original with {@code duplicate} set; fails with
     *         {@link HistoryUnavailableException} when the store cannot take it (queue full, disk error, closed)
     */
    CompletionStage<Appended> append(ServerMessage.Chat draft, String clientMsgId, String senderKey,
                                     Consumer<Appended> onStored);

    /**
     * Appends a message when the caller needs no ordered step; see
     * {@link #append(ServerMessage.Chat, String, String, Consumer)}.
     *
     * @param draft       the message; its {@code seq} is ignored
     * @param clientMsgId the sender's own id of the message for dedup, or {@code null}
     * @param senderKey   who sent it
     * @return the stored message, or the original one with {@code duplicate} set
     */
    default CompletionStage<Appended> append(ServerMessage.Chat draft, String clientMsgId, String senderKey) {
        return append(draft, clientMsgId, senderKey, appended -> { });
    }

    /**
     * The last messages of a room (what a joiner is shown); {@code hasMore} says whether older ones are kept.
     *
     * @param room  the room
     * @param limit the most messages to return, 0 for none (the page still carries the epoch)
     * @return up to {@code limit} messages, oldest first
     */
    CompletionStage<Page> recent(String room, int limit);

    /**
     * The messages after a seq, for resuming: {@code complete} is true only when the page holds every
     * message after {@code seq} (all still kept, at most {@code limit}), so recovery can be all or nothing.
     *
     * @param room  the room
     * @param seq   the last seq the client has
     * @param limit the most messages to return (the recovery limit)
     * @return up to {@code limit} messages after {@code seq}, oldest first; {@code hasMore} when cut at limit
     */
    CompletionStage<Page> after(String room, long seq, int limit);

    /**
     * The messages before a seq, for paging back.
     *
     * @param room  the room
     * @param seq   the oldest seq the client has
     * @param limit the most messages to return, at most {@link #MAX_PAGE} (more is cut to it)
     * @return up to {@code limit} messages before {@code seq}, oldest first; {@code hasMore} when older ones are kept
     */
    CompletionStage<Page> before(String room, long seq, int limit);

    /**
     * The room's epoch: an opaque string that changes only when the room's history is lost or reset.
     *
     * @param room the room
     * @return the epoch
     */
    CompletionStage<String> epoch(String room);

    /** Appends refused so far because the store could not take them (queue full, disk error, closed). */
    long refusedAppends();

    /** Stops taking appends and completes the queued ones (stored, on disk) before returning. */
    @Override
    void close();
}
