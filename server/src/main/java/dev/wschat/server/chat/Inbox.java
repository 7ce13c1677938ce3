package dev.wschat.server.chat;

import dev.wschat.protocol.ServerMessage;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The direct messages kept for a session while it was away, as its resume gives them: each once, in the order
 * stored. They live in the history under {@link #room(String)} of the session's resume key (a name no client room can
 * have), each with the inbox's seq; the session's resume token carries the seq of the last one given, so a resume
 * (on this node or another, after a restart too) reads only those after it. While that read is out, a message stored
 * meanwhile is held back and given with the page, in seq order; a message in both is given once. Event-loop only.
 */
final class Inbox {
    /** What prefixes a session's inbox in the history: room names start with a letter or digit. */
    static final String PREFIX = "@";

    private long given;
    /** Messages stored while the inbox is read, or {@code null} once the read answered. */
    private List<ServerMessage.Chat> arriving = new ArrayList<>();

    /**
     * An inbox being read.
     *
     * @param given the seq of the last message the session was given (from its resume token), 0 for none
     */
    Inbox(long given) {
        this.given = Math.max(0, given);
    }

    /** The history room that keeps a session's direct messages while it is away. */
    static String room(String resumeKey) {
        return PREFIX + resumeKey;
    }

    /** The seq of the last message given, for the session's next resume token. */
    long given() {
        return given;
    }

    /**
     * A message stored in the inbox while the session is attached.
     *
     * @return what to give the session now: nothing while the inbox is read or when it was given already
     */
    List<ServerMessage.Chat> stored(ServerMessage.Chat message) {
        if (arriving != null) {
            arriving.add(message);
            return List.of();
        }
        if (message.seq() <= given) {
            return List.of();
        }
        given = message.seq();
        return List.of(message);
    }

    /**
     * The read answered (or failed: {@code page} is then empty).
     *
     * @param page the messages after {@link #given()} when the read started, oldest first
     * @return what to give the session now, in seq order, each once
     */
    List<ServerMessage.Chat> loaded(List<ServerMessage.Chat> page) {
        List<ServerMessage.Chat> all = new ArrayList<>(page.size() + arriving.size());
        all.addAll(page);
        all.addAll(arriving);
        arriving = null;
        all.sort(Comparator.comparingLong(ServerMessage.Chat::seq));
        List<ServerMessage.Chat> out = new ArrayList<>(all.size());
        for (ServerMessage.Chat m : all) {
            if (m.seq() > given) {
                out.add(m);
                given = m.seq();
            }
        }
        return out;
    }
}
