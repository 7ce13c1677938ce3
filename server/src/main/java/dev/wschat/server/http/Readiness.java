package dev.wschat.server.http;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * Whether the server takes new clients, as {@code /ready} reports it: {@link State#STARTING} until
 * {@link #ready()}, {@link State#READY}, then {@link State#DRAINING} from {@link #draining()} on, never back; a ready
 * server whose {@link #requires dependency} is down reports {@link State#UNAVAILABLE} until it is back.
 */
public final class Readiness {
    /** The server's phase. */
    public enum State {
        /** Bound but not yet serving chat. */
        STARTING,
        /** Serving; new connections welcome. */
        READY,
        /** Shutting down; no new connections. */
        DRAINING,
        /**
         * Serving, but a store it needs is unreachable (Redis) or cannot write (a full disk): no new connections until
         * it is back.
         */
        UNAVAILABLE
    }

    private volatile State state = State.STARTING;
    private final List<BooleanSupplier> dependencies = new CopyOnWriteArrayList<>();

    /**
     * Adds something the server needs to take clients (Redis reachable, the history store able to write): while it
     * answers false, a ready server reports {@link State#UNAVAILABLE}.
     *
     * @param up whether the dependency is reachable now; cheap and thread-safe
     */
    public void requires(BooleanSupplier up) {
        dependencies.add(Objects.requireNonNull(up, "up"));
    }

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

    /** The current phase; {@link State#UNAVAILABLE} while ready but a dependency is down. */
    public State state() {
        State s = state;
        if (s == State.READY) {
            for (BooleanSupplier up : dependencies) {
                if (!up.getAsBoolean()) {
                    return State.UNAVAILABLE;
                }
            }
        }
        return s;
    }

    /** Whether new connections are welcome. */
    public boolean isReady() {
        return state() == State.READY;
    }
}
