package dev.wschat.server.history;

/** The store could not be opened: its message names the file or directory and why; the server exits 2. */
public final class HistoryOpenException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what could not be opened and why, naming the file or directory
     * @param cause   the underlying failure, or {@code null}
     */
    public HistoryOpenException(String message, Throwable cause) {
        super(message, cause);
    }
}
