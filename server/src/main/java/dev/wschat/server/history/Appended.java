package dev.wschat.server.history;

import dev.wschat.protocol.ServerMessage;

import java.util.Objects;

/**
 * The answer to an append: the message as stored (with its id, seq and timestamp), or, when
 * {@code duplicate}, the one stored earlier under the same sender and client message id.
 *
 * @param message   the stored message
 * @param duplicate true when nothing was stored because the message was already
 */
public record Appended(ServerMessage.Chat message, boolean duplicate) {
    public Appended {
        Objects.requireNonNull(message, "message");
    }
}
