package dev.wschat.server.http;

/**
 * Whether the server takes new clients, as {@code /ready} reports it: {@link State#STARTING} until
 * {@link #ready()}, {@link State#READY}, then {@link State#DRAINING} from {@link #draining()} on, never back.
 */
public final class Readiness {
    /** The server's phase. */
    public enum State {
        /** Bound but not yet serving chat. */
        STARTING,
        /** Serving; new connections welcome. */
        READY,
        /** Shutting down; no new connections. */
        DRAINING
    }

    private volatile State state = State.STARTING;

    /** Marks the server ready, unless it is already draining. */
    public synchronized void ready() {
        if (state == State.STARTING) {
            state = State.READY;
        }
    }

    /** Marks the server draining, for good. */
    public synchronized void draining() {
        state = State.DRAINING;
    }

    /** The current phase. */
    public State state() {
        return state;
    }

    /** Whether new connections are welcome. */
    public boolean isReady() {
        return state == State.READY;
    }
}
