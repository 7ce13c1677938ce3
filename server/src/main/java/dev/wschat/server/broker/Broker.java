package dev.wschat.server.broker;

/** Publishes room events to every node's subscribers; implementations never block the caller. */
public interface Broker extends AutoCloseable {

    /**
     * Publishes an event; every node's {@link Subscriber} receives it once.
     *
     * @param event the event
     */
    void publish(RoomEvent event);

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
