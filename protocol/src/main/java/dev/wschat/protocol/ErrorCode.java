package dev.wschat.protocol;

/** Codes of {@code error} replies in dialect 2; the wire form is {@link #wireName()}. */
public enum ErrorCode {
    /** Not JSON, not an object, a missing or mistyped field, or JSON nested or sized past bounds. */
    BAD_REQUEST("bad_request"),
    /** A {@code type} the server does not know. */
    UNKNOWN_TYPE("unknown_type"),
    /** Chat or direct-message content over the content limit. */
    TOO_LONG("too_long"),
    /** The room named is not one the connection has joined. */
    NOT_IN_ROOM("not_in_room"),
    /** No connected user has the id a direct message is addressed to. */
    NO_SUCH_USER("no_such_user"),
    /** A username that is empty once trimmed and cleaned. */
    INVALID_NAME("invalid_name"),
    /** A room name that breaks the room-name rules. */
    INVALID_ROOM("invalid_room"),
    /** Joining one more room would pass the per-connection room limit. */
    TOO_MANY_ROOMS("too_many_rooms"),
    /** The connection sends faster than its rate limit allows. */
    RATE_LIMITED("rate_limited"),
    /** Not allowed here: a direct message the server's {@code --dm-policy} refuses. */
    FORBIDDEN("forbidden"),
    /** The server cannot store the message now (history queue full, disk error): nothing was kept or delivered. */
    UNAVAILABLE("unavailable");

    private final String wireName;

    ErrorCode(String wireName) {
        this.wireName = wireName;
    }

    /** The code as it appears in the {@code code} field on the wire. */
    public String wireName() {
        return wireName;
    }
}
