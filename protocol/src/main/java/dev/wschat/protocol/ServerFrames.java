package dev.wschat.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Reads single fields of server messages without decoding them whole, for clients that read many frames a
 * second (the load generator reads a million chat deliveries a second on two cores, where decoding each whole with
 * {@link JsonCodec#decodeServer} would cost more than the server's work); pinned to the layout {@link JsonCodec}
 * writes. Everything else is read with the decoder.
 */
public final class ServerFrames {
    private static final byte[] CHAT_HEAD = "{\"type\":\"chat\",".getBytes(StandardCharsets.US_ASCII);
    /** The end of a chat's {@code message} value and the key of {@code timestamp}, the field the codec writes last. */
    private static final byte[] TIMESTAMP_KEY = "\",\"timestamp\":\"".getBytes(StandardCharsets.US_ASCII);

    private ServerFrames() {
    }

    /**
     * Finds where the text of a chat message ends, in either dialect, without parsing the frame.
     *
     * @param utf8 a buffer holding the frame's UTF-8 text at {@code [off, off + len)}
     * @param off  where the frame starts
     * @param len  the frame's length in bytes
     * @return the index of the quote that closes the chat's {@code message} value (its text, as escaped JSON,
     *         ends just before), or -1 when the frame is not a chat as {@link JsonCodec} encodes it
     */
    public static int chatMessageEnd(byte[] utf8, int off, int len) {
        Objects.requireNonNull(utf8, "utf8");
        Objects.checkFromIndexSize(off, len, utf8.length);
        int end = off + len;
        if (len < CHAT_HEAD.length + TIMESTAMP_KEY.length + 2 || utf8[end - 1] != '}' || utf8[end - 2] != '"') {
            return -1;
        }
        for (int k = 0; k < CHAT_HEAD.length; k++) {
            if (utf8[off + k] != CHAT_HEAD[k]) {
                return -1;
            }
        }
        // the timestamp is ISO-8601 text: no quotes or escapes, so its opening quote is the first one back
        int i = end - 3;
        while (i >= off + CHAT_HEAD.length && utf8[i] != '"') {
            if (utf8[i] == '\\') {
                return -1;
            }
            i--;
        }
        int keyStart = i - TIMESTAMP_KEY.length + 1;
        if (keyStart < off + CHAT_HEAD.length) {
            return -1;
        }
        for (int k = 0; k < TIMESTAMP_KEY.length; k++) {
            if (utf8[keyStart + k] != TIMESTAMP_KEY[k]) {
                return -1;
            }
        }
        return keyStart;
    }
}
