package dev.wschat.server.broker;

import java.util.Objects;

/** The single-node broker: publishing hands the event straight to this node's subscriber. */
public final class LocalBroker implements Broker {
    private final Subscriber subscriber;
    private volatile boolean closed;

    /**
     * Creates a broker delivering to one subscriber.
     *
     * @param subscriber this node's subscriber
     */
    public LocalBroker(Subscriber subscriber) {
        this.subscriber = Objects.requireNonNull(subscriber, "subscriber");
    }

    @Override
    public void publish(RoomEvent event) {
        Objects.requireNonNull(event, "event");
        if (!closed) {
            subscriber.deliver(event);
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
