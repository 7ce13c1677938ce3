package dev.wschat.server.presence;

import dev.wschat.protocol.ServerMessage;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Who is in each room, by connection: every connection of a user is a member of its own (a user signed in twice
 * is listed twice, under one id). Listed a page at a time, in a stable order, so a room of any size costs a
 * joiner one bounded message. Implementations are thread-safe and never block on I/O; a shared (Redis)
 * implementation keeps each node's members with an expiry, so a node that dies leaves every room.
 */
public interface Presence {

    /**
     * Adds a member to a room; adding one already there changes nothing.
     *
     * @param room      the room
     * @param memberKey the connection's key, unique on this node
     * @param user      who it is
     */
    void add(String room, String memberKey, ServerMessage.User user);

    /**
     * Removes a member from a room.
     *
     * @param room      the room
     * @param memberKey the connection's key
     */
    void remove(String room, String memberKey);

    /**
     * Tells a room a member's new name.
     *
     * @param room      the room
     * @param memberKey the connection's key
     * @param user      who it is now
     */
    void rename(String room, String memberKey, ServerMessage.User user);

    /**
     * A page of a room's members in a stable order.
     *
     * @param room   the room
     * @param cursor {@code null} for the first page, else the {@link Page#next()} of the page before
     * @param limit  the most members to list, at least 1
     * @return the page
     * @throws IllegalArgumentException when {@code cursor} is not one this presence gave out
     */
    Page page(String room, String cursor, int limit);

    /**
     * Whether a user is a member of a room through any connection this presence lists (another node's too, for a
     * shared one). The default pages through the room; implementations answer from their index.
     *
     * @param room   the room
     * @param userId the user's client id
     * @return whether any member of the room is that user
     */
    default boolean includes(String room, String userId) {
        String cursor = null;
        do {
            Page page = page(room, cursor, 1_000);
            for (ServerMessage.User user : page.users()) {
                if (user.id().equals(userId)) {
                    return true;
                }
            }
            cursor = page.next();
        } while (cursor != null);
        return false;
    }

    /**
     * Whether a user was already listed in a room when one of its connections, {@code memberKey}, joined it: through
     * another connection of the user's, on any node, or as the member of a session another connection resumed not long
     * before under {@code resumeKey} (see {@link #handOver}). Asked after {@link #add}ing {@code memberKey}, which the
     * answer leaves out. Never blocks: a shared presence answers once it knows the room's members (at once when it
     * does), {@code false} when it cannot tell in time. The default counts the user's members a page at a time.
     *
     * @param room      the room
     * @param userId    the user's client id
     * @param memberKey the joining connection's key, left out
     * @param resumeKey the joining session's resume key, or {@code null}
     * @return whether the user was listed before this connection joined
     */
    default CompletionStage<Boolean> listed(String room, String userId, String memberKey, String resumeKey) {
        int seen = 0;
        String cursor = null;
        do {
            Page page = page(room, cursor, 1_000);
            for (ServerMessage.User user : page.users()) {
                if (user.id().equals(userId) && ++seen > 1) {
                    return CompletableFuture.completedFuture(true);
                }
            }
            cursor = page.next();
        } while (cursor != null);
        return CompletableFuture.completedFuture(false);
    }

    /**
     * Removes a member whose session goes on through another connection, resumed on another node: the room lists it
     * no longer, but for a while {@link #listed} with its {@code resumeKey} still says the user was there, so that the
     * session re-joining the room on its new node is not announced as a join. The embedded presence has no other
     * node and just removes it.
     *
     * @param room      the room
     * @param memberKey the connection's key
     * @param resumeKey the resume key of its session
     */
    default void handOver(String room, String memberKey, String resumeKey) {
        remove(room, memberKey);
    }

    /**
     * Tells a listener of the members this presence found gone without a {@link #remove} (their node stopped
     * heartbeating): each is reported once across every node, by the one node that removed it, so that node can
     * announce the leave to the room. The embedded presence never loses a member this way and ignores it.
     *
     * @param listener hears of each vanished member; called off the event loops and must not block
     */
    default void onDeparture(Departures listener) {
    }

    /** Hears of members whose node vanished. */
    @FunctionalInterface
    interface Departures {
        /**
         * A member of a room is gone because its node stopped.
         *
         * @param room the room
         * @param user who it was
         */
        void departed(String room, ServerMessage.User user);
    }

    /**
     * One page of members.
     *
     * @param users the members listed
     * @param total every member of the room
     * @param next  the cursor of the next page, or {@code null} when this is the last
     */
    record Page(List<ServerMessage.User> users, int total, String next) {
        public Page {
            users = List.copyOf(users);
        }
    }
}
