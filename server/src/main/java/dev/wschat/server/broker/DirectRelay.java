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
     * @return the number of nodes that took it (0: the user is connected nowhere else); fails with
     *         {@link dev.wschat.server.backend.BackendUnavailableException} when it could not be sent (the sender is
     *         then told {@code unavailable}). Answers complete in the order the
     *         messages were sent, on the relay's threads (or at once on the caller's, when refused at once).
     */
    CompletionStage<Long> send(ServerMessage.Direct dm);

    /** Stops relaying. */
    @Override
    void close();

    /** This node's side of the relay: delivers relayed direct messages. */
    interface Recipient {
        /**
         * Delivers to the recipient's session on this node.
         *
         * @param dm the message
         * @return whether a session of {@code dm.to()} was here to take it
         */
        boolean deliver(ServerMessage.Direct dm);
    }
}
