package dev.wschat.server.broker;

/**
 * Tells the other nodes that a session was resumed here, so the node that still holds it ends it; implementations
 * never block the caller.
 */
public interface Takeovers {

    /** No other node: nobody to tell. */
    Takeovers NONE = (userId, resumeKey) -> { };

    /**
     * A session was resumed on this node with its resume token: another node that still holds that session ends it
     * there, closing it with 4009 when it is still attached (a resume the balancer sent elsewhere before the old
     * connection was seen to drop, or a duplicated tab), as a takeover on one node does, and without notices when it
     * is detached. Best effort: nothing is told when the other nodes cannot be reached.
     *
     * @param userId    the session's client id
     * @param resumeKey the session's resume key
     */
    void resumed(String userId, String resumeKey);

    /** This node's side: ends a session another node resumed. */
    @FunctionalInterface
    interface Listener {
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
