package dev.wschat.protocol;

/** Named limits of the wire contract; the server's configuration may lower or raise the defaults. */
public final class Limits {
    /** Longest username, in characters, after trimming and dropping control characters (the tutorial's 20). */
    public static final int MAX_USERNAME_LENGTH = 20;
    /** Longest room name, in characters. */
    public static final int MAX_ROOM_LENGTH = 32;
    /** Default longest chat or direct-message content, in characters. */
    public static final int DEFAULT_MAX_CONTENT_LENGTH = 4_000;
    /** Default largest WebSocket message, in bytes. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
    /** Default most rooms one connection may be in at once. */
    public static final int DEFAULT_MAX_ROOMS_PER_CONNECTION = 50;
    /** Deepest JSON nesting the codec accepts before answering {@code bad_request}. */
    public static final int MAX_JSON_DEPTH = 16;
    /** Longest client-chosen {@code ref} echoed back in replies. */
    public static final int MAX_REF_LENGTH = 64;
    /** Longest client-chosen {@code clientMsgId} of a chat message. */
    public static final int MAX_CLIENT_MSG_ID_LENGTH = 64;
    /** Most messages one {@code history} request returns. */
    public static final int MAX_HISTORY_PAGE = 200;
    /** Longest {@code epoch} a client may send back. */
    public static final int MAX_EPOCH_LENGTH = 64;
    /** Most members one {@code presence} page lists. */
    public static final int MAX_PRESENCE_PAGE = 1_000;
    /** Longest {@code cursor} of a {@code who}. */
    public static final int MAX_CURSOR_LENGTH = 256;
    /** The room every connection starts in. */
    public static final String DEFAULT_ROOM = "lobby";
    /** Most rooms one {@code resume} message may list. */
    public static final int MAX_RESUME_ROOMS = 1_000;

    private Limits() {
    }
}
