package dev.wschat.protocol;

import java.util.Objects;

/**
 * A message from a client, as the codec decoded it. Every record carries the client's optional
 * {@code ref}, echoed in any {@code error} the message causes.
 */
public sealed interface ClientMessage {

    /** The client's correlation string, or {@code null}. */
    String ref();

    /**
     * {@code join {room, since?, epoch?}}: enter a room (dialect 2). With {@code since} (the last {@code seq} the
     * client saw) and the room's {@code epoch} it asks to recover every message after {@code since}.
     */
    record Join(String room, Long since, String epoch, String ref) implements ClientMessage {
        public Join {
            Objects.requireNonNull(room, "room");
        }

        /** A plain join, without recovery. */
        public Join(String room, String ref) {
            this(room, null, null, ref);
        }
    }

    /**
     * {@code resume {rooms:[{room, since?, epoch?}, …]}}: catch up every listed room in one exchange (dialect 2). A
     * room the session kept across its reconnect is caught up as a {@code join} with {@code since} would be; one it
     * is not in is joined so.
     */
    record Resume(java.util.List<Join> rooms, String ref) implements ClientMessage {
        public Resume {
            rooms = java.util.List.copyOf(rooms);
        }
    }

    /** {@code leave {room}}: leave a room (dialect 2). */
    record Leave(String room, String ref) implements ClientMessage {
        public Leave {
            Objects.requireNonNull(room, "room");
        }
    }

    /**
     * {@code chat {room, content, clientMsgId?}}; {@code room} is {@code null} in the tutorial dialect (the client's
     * room). {@code clientMsgId} (dialect 2) asks for an {@code ack} and makes a resend safe: the server stores it once.
     */
    record Chat(String room, String content, String clientMsgId, String ref) implements ClientMessage {
        public Chat {
            Objects.requireNonNull(content, "content");
        }

        /** A chat message without a client message id. */
        public Chat(String room, String content, String ref) {
            this(room, content, null, ref);
        }
    }

    /** {@code history {room, before, limit}}: page back through a joined room's stored messages (dialect 2). */
    record HistoryRequest(String room, long before, int limit, String ref) implements ClientMessage {
        public HistoryRequest {
            Objects.requireNonNull(room, "room");
        }
    }

    /** {@code setUsername {username}}, with the name already cleaned and non-empty. */
    record SetUsername(String username, String ref) implements ClientMessage {
        public SetUsername {
            Objects.requireNonNull(username, "username");
        }
    }

    /**
     * {@code who {room, cursor?, limit?}}: ask for a page of the members of a joined room (dialect 2): the first
     * page, or the one after {@code cursor} (the {@code next} of an earlier page); {@code limit} 0 = the server's
     * page size.
     */
    record Who(String room, String cursor, int limit, String ref) implements ClientMessage {
        public Who {
            Objects.requireNonNull(room, "room");
        }

        /** The first page, of the server's page size. */
        public Who(String room, String ref) {
            this(room, null, 0, ref);
        }
    }

    /** {@code rooms {}}: ask for the rooms that exist and their member counts (dialect 2). */
    record ListRooms(String ref) implements ClientMessage {
    }

    /** {@code dm {to, content}}: a direct message to one user by client id (dialect 2). */
    record DirectMessage(String to, String content, String ref) implements ClientMessage {
        public DirectMessage {
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(content, "content");
        }
    }

    /** A well-formed message the tutorial dialect ignores (an unknown {@code type}), as the tutorial's server does. */
    record Ignored(String type) implements ClientMessage {
        @Override
        public String ref() {
            return null;
        }
    }

    /** Input the codec refused, with the error code and a human-readable reason. */
    record Invalid(ErrorCode code, String message, String ref) implements ClientMessage {
        public Invalid {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
        }
    }
}
