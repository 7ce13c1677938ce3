package dev.wschat.protocol;

import java.util.List;
import java.util.Objects;

/** A message from the server; {@link JsonCodec#encode} renders it in either dialect. */
public sealed interface ServerMessage {

    /** A user as other clients see them. */
    record User(String id, String username) {
        public User {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(username, "username");
        }
    }

    /** One room and how many members it has. */
    record RoomInfo(String name, int members) {
        public RoomInfo {
            Objects.requireNonNull(name, "name");
        }
    }

    /** What a notice announces. */
    enum NoticeKind {
        JOIN("join"), LEAVE("leave"), RENAME("rename");

        private final String wireName;

        NoticeKind(String wireName) {
            this.wireName = wireName;
        }

        /** The {@code event} field's value on the wire. */
        public String wireName() {
            return wireName;
        }
    }

    /**
     * The first message on every connection: the client's id and name, and (dialect 2) the signed token that resumes
     * this session on a later connection, or {@code null}; {@code resumed} says whether the connection resumed an
     * earlier session ({@code null}: not told, resume is off).
     */
    record Welcome(String clientId, String username, String timestamp, String resumeToken, Boolean resumed)
            implements ServerMessage {
        /** A welcome without a resume token. */
        public Welcome(String clientId, String username, String timestamp) {
            this(clientId, username, timestamp, null, null);
        }

        /** A welcome with a resume token, not saying whether it resumed. */
        public Welcome(String clientId, String username, String timestamp, String resumeToken) {
            this(clientId, username, timestamp, resumeToken, null);
        }
    }

    /** A fresh resume token for the session (dialect 2): after a rename, and before the current one expires. */
    record Token(String resumeToken) implements ServerMessage {
        public Token {
            Objects.requireNonNull(resumeToken, "resumeToken");
        }
    }

    /** A join, leave or rename announced to a room; {@code oldUsername} is set for renames only. */
    record Notice(NoticeKind kind, String room, User user, String oldUsername, String timestamp)
            implements ServerMessage {
        public Notice {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(user, "user");
        }
    }

    /** Plain system text, such as a refusal explained to a tutorial-dialect client. */
    record SystemText(String message, String timestamp) implements ServerMessage {
    }

    /** A chat message delivered to a room, with the server's id, per-room sequence and timestamp. */
    record Chat(String room, String id, long seq, User from, String message, String timestamp)
            implements ServerMessage {
        public Chat {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(message, "message");
        }
    }

    /**
     * A page of the members of a room: sent to a joiner and in answer to {@code who}. {@code total} counts every
     * member; {@code next} is the cursor of the next page, or {@code null} on the last; {@code ref} echoes a
     * {@code who}'s.
     */
    record Presence(String room, List<User> users, int total, String next, String ref) implements ServerMessage {
        public Presence {
            users = List.copyOf(users);
        }

        /** Every member in one page. */
        public Presence(String room, List<User> users) {
            this(room, users, users.size(), null, null);
        }
    }

    /**
     * A sender's chat message is stored: its server {@code id} and {@code seq}. {@code duplicate} is true when the
     * same {@code clientMsgId} had been stored before; the id and seq are then the first copy's, and nothing was
     * stored or delivered again.
     */
    record Ack(String room, String clientMsgId, String id, long seq, boolean duplicate) implements ServerMessage {
        public Ack {
            Objects.requireNonNull(room, "room");
            Objects.requireNonNull(clientMsgId, "clientMsgId");
            Objects.requireNonNull(id, "id");
        }
    }

    /**
     * Stored messages of a room, oldest first: after a {@code join} (the last ones, or what a resume missed) and in
     * answer to a {@code history} request. {@code recovered} answers a resume (a {@code join} with {@code since}):
     * true when {@code messages} are exactly every message after {@code since}, false when some are gone and these
     * are the room's last ones instead; {@code null} otherwise. {@code hasMore}: older messages exist.
     */
    record History(String room, String epoch, List<Chat> messages, boolean hasMore, Boolean recovered, String ref)
            implements ServerMessage {
        public History {
            Objects.requireNonNull(room, "room");
            Objects.requireNonNull(epoch, "epoch");
            messages = List.copyOf(messages);
        }
    }

    /** The rooms that exist, in answer to {@code rooms}. */
    record RoomList(List<RoomInfo> rooms) implements ServerMessage {
        public RoomList {
            rooms = List.copyOf(rooms);
        }
    }

    /** A direct message, delivered to both its sender and its recipient. */
    record Direct(String id, User from, String to, String message, String timestamp) implements ServerMessage {
        public Direct {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
        }
    }

    /**
     * A refusal: the connection stays open. {@code retryAfterMs} (on {@code rate_limited}) says how long
     * to wait before sending again; {@code null} elsewhere.
     */
    record Error(ErrorCode code, String message, String ref, Long retryAfterMs) implements ServerMessage {
        public Error {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
        }

        /** A refusal with no retry hint. */
        public Error(ErrorCode code, String message, String ref) {
            this(code, message, ref, null);
        }
    }
}
