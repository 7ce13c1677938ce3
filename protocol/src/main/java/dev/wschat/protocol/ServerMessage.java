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

    /** The first message on every connection: the client's id and name. */
    record Welcome(String clientId, String username, String timestamp) implements ServerMessage {
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

    /** The members of a room: sent to a joiner and in answer to {@code who}. */
    record Presence(String room, List<User> users) implements ServerMessage {
        public Presence {
            users = List.copyOf(users);
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
