package dev.wschat.server.broker;

import dev.wschat.protocol.ServerMessage;

import java.util.Objects;

/**
 * One message for the members of one room.
 *
 * @param room      the room
 * @param message   what to deliver
 * @param senderId  the client id the event came from, or {@code null}
 * @param exclusion which members, relative to the sender, do not get it
 */
public record RoomEvent(String room, ServerMessage message, String senderId, Exclusion exclusion) {

    /** Who is left out of a delivery. */
    public enum Exclusion {
        /** Every member gets it. */
        NONE,
        /** Everyone but the sender (join notices: the joiner gets presence instead). */
        SENDER,
        /** Everyone but a tutorial-dialect sender (chat: the tutorial does not echo to the sender). */
        SENDER_IF_TUTORIAL
    }

    public RoomEvent {
        Objects.requireNonNull(room, "room");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(exclusion, "exclusion");
    }
}
