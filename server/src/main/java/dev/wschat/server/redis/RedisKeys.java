package dev.wschat.server.redis;

/**
 * Every key and channel name wschat uses in Redis. A room's keys carry the room in a hash tag ({@code {room}:...}),
 * so one room's keys share one Cluster slot and one script may touch them all; a user's carry {@code {u:<id>}}
 * (room names have no {@code :}, so the two never meet); node-wide names start with {@code wschat:}.
 */
final class RedisKeys {
    /** The channel every node hears takeovers on: sessions resumed on another node. */
    static final String TAKEOVERS = "wschat:takeover";
    private static final String ROOM_CHANNEL = "}:ch";
    private static final String PRESENCE_CHANNEL = "}:presence:ch";
    private static final String USER = "{u:";
    private static final String DM_CHANNEL = "}:dm";

    private RedisKeys() {
    }

    // ---- rooms: history and broker

    /** The room's hash of {@code seq} (the last one given) and {@code epoch}. */
    static String meta(String room) {
        return "{" + room + "}:meta";
    }

    /** The room's stream of stored messages, entry id {@code <seq>-0}. */
    static String stream(String room) {
        return "{" + room + "}:stream";
    }

    /** An append's dedup record, by the sender's client message id. */
    static String dedup(String room, String senderKey, String clientMsgId) {
        return "{" + room + "}:dedup:" + senderKey + ":" + clientMsgId;
    }

    /** An append's replay record, by the message's own id (an append without a client message id). */
    static String sent(String room, String senderKey, String messageId) {
        return "{" + room + "}:sent:" + senderKey + ":" + messageId;
    }

    /** The room's pub/sub channel: stored messages and notices. */
    static String roomChannel(String room) {
        return "{" + room + ROOM_CHANNEL;
    }

    /** The room of a channel made by {@link #roomChannel}, or {@code null} for any other channel. */
    static String roomOf(String channel) {
        return tagged(channel, "{", ROOM_CHANNEL);
    }

    // ---- rooms: presence

    /** The room's presence keys, in the order the presence scripts take them: members, expiry, version, hand-overs. */
    static String[] presence(String room) {
        return new String[] {"{" + room + "}:presence", "{" + room + "}:presence:exp", "{" + room + "}:presence:ver",
            "{" + room + "}:presence:handover"};
    }

    /** The room's presence channel: the changes to its members. */
    static String presenceChannel(String room) {
        return "{" + room + PRESENCE_CHANNEL;
    }

    /** The room of a channel made by {@link #presenceChannel}, or {@code null} for any other channel. */
    static String roomOfPresence(String channel) {
        return tagged(channel, "{", PRESENCE_CHANNEL);
    }

    /** A node's liveness key, refreshed while the node runs. */
    static String node(String nodeId) {
        return "wschat:node:" + nodeId;
    }

    // ---- users

    /** The user's direct-message channel. */
    static String userChannel(String userId) {
        return USER + userId + DM_CHANNEL;
    }

    /** The user of a channel made by {@link #userChannel}, or {@code null} for any other channel. */
    static String userOf(String channel) {
        return tagged(channel, USER, DM_CHANNEL);
    }

    /** The sorted set of the user's sessions kept for a resume on any node: resume key, scored by window end. */
    static String away(String userId) {
        return USER + userId + "}:away";
    }

    private static String tagged(String channel, String prefix, String suffix) {
        if (!channel.startsWith(prefix) || !channel.endsWith(suffix)
                || channel.length() < prefix.length() + suffix.length()) {
            return null;
        }
        return channel.substring(prefix.length(), channel.length() - suffix.length());
    }
}
