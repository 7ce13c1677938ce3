package dev.wschat.server.auth;

/** A token was missing or refused; the message says why and never contains the token. */
public final class AuthenticationException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param reason why, safe to log: never the token itself
     */
    public AuthenticationException(String reason) {
        super(reason, null, false, false);
    }
}
