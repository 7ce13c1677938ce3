package dev.wschat.server.broker;

import dev.wschat.protocol.ServerMessage;

import java.util.concurrent.CompletionStage;

/**
 * Carries a direct message to a user connected to another node; implementations never block the caller. A user's
 * node hears of it ({@link #userChanged}) while the user has an attached session there, and takes its direct
 * messages from then on; a node that has the recipient itself delivers without the relay.
 */
public interface DirectRelay extends AutoCloseable {

    /**
     * A user got its first attached session on this node ({@code here}) or lost its last one; called in that order
     * per user, inside the update of the node's sessions, so it must only record the change.
     *
     * @param userId the user's client id
     * @param here   whether the user has an attached session on this node now
     */
    void userChanged(String userId, boolean here);

    /**
     * Whether another node may have a user this node has not; {@code false} on a single node, where a direct message
     * to a user not connected here is refused without the relay.
     *
     * @return whether {@link #send} can reach anyone
     */
    boolean reachesOtherNodes();

    /**
     * Hands a direct message to whichever nodes have its recipient ({@link ServerMessage.Direct#to()}).
     *
     * @param dm the message, with its id and timestamp already set
     * @return the number of nodes that took it (0: the user is connected nowhere else); fails when it could not be
     *         sent (the sender is then told {@code unavailable}). Answers complete in the order the
     *         messages were sent, on the relay's threads (or at once on the caller's, when refused at once).
     */
    CompletionStage<Long> send(ServerMessage.Direct dm);

    /**
     * A session was resumed on this node with its resume token: another node that still holds that session ends it
     * there, closing it with 4009 when it is still attached (a resume the balancer sent elsewhere before the old
     * connection was seen to drop, or a duplicated tab), as a takeover on one node does, and without notices when it
     * is detached. Best effort: nothing is told when Redis cannot be reached.
     *
     * @param userId    the session's client id
     * @param resumeKey the session's resume key
     */
    void resumed(String userId, String resumeKey);

    /**
     * A session of the user is kept for a resume on this node until {@code until} (its connection dropped): nodes
     * that do not hold it can then tell that user from one not connected, and keep a direct message for it.
     * Best effort, never blocks.
     *
     * @param userId    the session's client id
     * @param resumeKey its resume key
     * @param until     when its resume window ends
     */
    void away(String userId, String resumeKey, java.time.Instant until);

    /**
     * The session is kept no longer (resumed, ended, or its window passed). Best effort, never blocks.
     *
     * @param userId    the session's client id
     * @param resumeKey its resume key
     */
    void back(String userId, String resumeKey);

    /**
     * The resume keys of the user's sessions kept for a resume on any node now ({@link #away}).
     *
     * @param userId the user's client id
     * @return the keys, empty when none (always, on a single node); fails when it cannot be told
     */
    CompletionStage<java.util.List<String>> awayKeys(String userId);

    /** Stops relaying. */
    @Override
    void close();

    /** This node's side of the relay: delivers relayed direct messages and ends sessions resumed elsewhere. */
    interface Recipient {
        /**
         * Delivers to the recipient's session on this node.
         *
         * @param dm the message
         * @return whether a session of {@code dm.to()} was here to take it
         */
        boolean deliver(ServerMessage.Direct dm);

        /**
         * Another node resumed a session: this node's session of that user with that resume key, if any, ends
         * without notices, closed with 4009 when still attached.
         *
         * @param userId    the session's client id
         * @param resumeKey its resume key
         */
        void resumedElsewhere(String userId, String resumeKey);
    }
}
