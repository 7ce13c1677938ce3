package dev.wschat.server.history;

/** The store cannot take an append or answer a read now (queue full, disk error, closed); a sender gets {@code error unavailable}. */
public final class HistoryUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A refusal with its reason. */
    public HistoryUnavailableException(String message) {
        super(message);
    }

    /** A refusal with its reason and cause. */
    public HistoryUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
