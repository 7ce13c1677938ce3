package dev.wschat.server.backend;

/**
 * A backend a seam relies on (the store, Redis) cannot answer now: not connected, its queue is full, a command timed
 * out or was refused, or it is closed. The caller tells the client {@code unavailable}; trying again later may work.
 */
public class BackendUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * A refusal with its reason.
     *
     * @param message what could not be done, and where
     */
    public BackendUnavailableException(String message) {
        super(message);
    }

    /**
     * A refusal with its reason and cause.
     *
     * @param message what could not be done, and where
     * @param cause   what the backend's client reported
     */
    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
