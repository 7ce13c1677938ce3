package dev.wschat.protocol;

/** The two wire dialects, chosen by the WebSocket subprotocol at the handshake. */
public enum Dialect {
    /** The tutorial's protocol: no subprotocol, {@code chat} and {@code system} messages only. */
    TUTORIAL(null),
    /** The richer protocol, negotiated as {@code wschat.v2}. */
    V2("wschat.v2");

    /** The subprotocol name clients send in {@code Sec-WebSocket-Protocol} for {@link #V2}. */
    public static final String V2_SUBPROTOCOL = "wschat.v2";

    private final String subprotocol;

    Dialect(String subprotocol) {
        this.subprotocol = subprotocol;
    }

    /** The subprotocol name, or {@code null} for the tutorial dialect. */
    public String subprotocol() {
        return subprotocol;
    }

    /**
     * The dialect for a negotiated subprotocol.
     *
     * @param subprotocol the selected subprotocol, or {@code null} when none was negotiated
     * @return {@link #V2} for {@code wschat.v2}, {@link #TUTORIAL} otherwise
     */
    public static Dialect forSubprotocol(String subprotocol) {
        return V2_SUBPROTOCOL.equals(subprotocol) ? V2 : TUTORIAL;
    }
}
