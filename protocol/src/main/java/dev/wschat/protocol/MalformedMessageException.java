package dev.wschat.protocol;

/**
 * Text that is not a server message of the dialect it was read in: not JSON, an unknown {@code type}, or a field
 * missing or of the wrong kind. The message names the message type and the field.
 */
public final class MalformedMessageException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * A refusal saying what is wrong.
     *
     * @param message what is wrong, naming the field
     */
    public MalformedMessageException(String message) {
        super(message);
    }

    /**
     * A refusal saying what is wrong, with the parser's own error.
     *
     * @param message what is wrong
     * @param cause   the parser's error
     */
    public MalformedMessageException(String message, Throwable cause) {
        super(message, cause);
    }
}
