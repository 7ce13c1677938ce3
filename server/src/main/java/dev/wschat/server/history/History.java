package dev.wschat.server.history;

import dev.wschat.protocol.ServerMessage;

import java.util.List;

/** Stores chat messages per room and assigns their sequence numbers; implementations are thread-safe. */
public interface History extends AutoCloseable {

    /**
     * Appends a message, assigning the room's next sequence number.
     *
     * @param draft the message; its {@code seq} is ignored
     * @return the message as stored, with its sequence number
     */
    ServerMessage.Chat append(ServerMessage.Chat draft);

    /**
     * The most recent messages of a room, oldest first.
     *
     * @param room  the room
     * @param limit the most messages to return
     * @return up to {@code limit} messages
     */
    List<ServerMessage.Chat> recent(String room, int limit);

    @Override
    void close();
}
