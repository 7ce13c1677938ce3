package dev.wschat.server.broker;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Publishes room events to every node's subscribers; implementations never block the caller. */
public interface Broker extends AutoCloseable {

    /**
     * Publishes an event; every node's {@link Subscriber} receives it once.
     *
     * @param event the event
     */
    void publish(RoomEvent event);

    /**
     * This node's first member joined a room ({@code hasMembers}) or its last one left; called in that order per
     * room, inside the registry's update of the room, so it must only record the change. A broker that spans
     * nodes subscribes to the room's traffic while this node has members of it.
     *
     * @param room       the room
     * @param hasMembers whether this node has members of the room now
     */
    default void membersChanged(String room, boolean hasMembers) {
    }

    /**
     * Completes once every event of the room published from now on reaches this node's subscriber, so a joiner's
     * history read after it meets the live events without a gap. In-process: at once.
     *
     * @param room a room this node has members of
     * @return completes when the room's events flow to this node, or fails with
     *         {@link dev.wschat.server.backend.BackendUnavailableException} when they cannot (the joiner is then told
     *         its history cannot be read)
     */
    default CompletionStage<Void> ready(String room) {
        return CompletableFuture.completedFuture(null);
    }

    /** Stops delivering events. */
    @Override
    void close();

    /** Receives published events on a node. */
    @FunctionalInterface
    interface Subscriber {
        /**
         * Delivers an event to this node's local members of its room.
         *
         * @param event the event
         */
        void deliver(RoomEvent event);
    }
}
