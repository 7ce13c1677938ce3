package dev.wschat.server.history;

import dev.wschat.protocol.ServerMessage;

import java.util.List;
import java.util.Objects;

/**
 * One answer of a history read.
 *
 * @param room     the room
 * @param epoch    the room's epoch (see {@link History#epoch})
 * @param messages the messages, oldest first
 * @param hasMore  true when more messages are kept beyond the page in the direction read (older for
 *                 {@code recent} and {@code before}, newer for {@code after} cut at its limit)
 * @param complete true when nothing is missing from the range asked for: for {@code after}, every message
 *                 after the seq is here; for {@code recent} and {@code before}, the page reaches back to seq 1
 * @param lastSeq  the room's last seq when read (0 when it has none)
 */
public record Page(String room, String epoch, List<ServerMessage.Chat> messages, boolean hasMore, boolean complete,
                   long lastSeq) {
    public Page {
        Objects.requireNonNull(room, "room");
        Objects.requireNonNull(epoch, "epoch");
        messages = List.copyOf(messages);
    }
}
