package dev.wschat.server.history;

import dev.wschat.server.backend.BackendUnavailableException;

/**
 * The store cannot take an append or answer a read now (queue full, disk error, Redis down, closed); a sender gets
 * {@code error unavailable}.
 */
public final class HistoryUnavailableException extends BackendUnavailableException {
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
