package dev.wschat.protocol;

/** WebSocket close codes the server sends; {@code docs/protocol.md} lists when each is used. */
public final class CloseCodes {
    /** The server is shutting down ({@code "Server shutting down"}), as in the tutorial. */
    public static final int GOING_AWAY = 1001;
    /** A protocol violation: unmasked frame, bad fragmentation, oversized control frame. */
    public static final int PROTOCOL_ERROR = 1002;
    /** A binary frame: the protocol is text only. */
    public static final int UNSUPPORTED_DATA = 1003;
    /** Text that is not valid UTF-8. */
    public static final int INVALID_PAYLOAD = 1007;
    /** Sustained abuse of the rate limit, or an authentication token that expired while connected. */
    public static final int POLICY_VIOLATION = 1008;
    /** A frame or message larger than the message limit. */
    public static final int MESSAGE_TOO_BIG = 1009;
    /** The server hit an unexpected condition. */
    public static final int INTERNAL_ERROR = 1011;
    /** Missing, invalid or expired credentials at the handshake ({@code "Unauthorized"}), as in the tutorial. */
    public static final int UNAUTHORIZED = 4001;
    /** The client read too slowly and its queued bytes passed the per-connection cap. */
    public static final int SLOW_CONSUMER = 4008;
    /** The session was resumed on another connection with its resume token (dialect 2). */
    public static final int SESSION_RESUMED = 4009;

    private CloseCodes() {
    }
}
