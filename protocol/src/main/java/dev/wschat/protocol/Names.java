package dev.wschat.protocol;

import java.util.Objects;
import java.util.regex.Pattern;

/** Cleaning of usernames and validation of room names. */
public final class Names {
    private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0," + (Limits.MAX_ROOM_LENGTH - 1) + "}");

    private Names() {
    }

    /**
     * Cleans a requested username: drops control characters, trims, and cuts it to
     * {@link Limits#MAX_USERNAME_LENGTH} characters (never splitting a surrogate pair).
     *
     * @param requested the name as the client sent it
     * @return the cleaned name, possibly empty
     */
    public static String cleanUsername(String requested) {
        Objects.requireNonNull(requested, "requested");
        StringBuilder sb = new StringBuilder(Math.min(requested.length(), 64));
        requested.codePoints()
                .filter(cp -> !Character.isISOControl(cp) && Character.getType(cp) != Character.FORMAT
                        && Character.getType(cp) != Character.LINE_SEPARATOR
                        && Character.getType(cp) != Character.PARAGRAPH_SEPARATOR)
                .forEach(sb::appendCodePoint);
        String trimmed = sb.toString().strip();
        if (trimmed.length() <= Limits.MAX_USERNAME_LENGTH) {
            return trimmed;
        }
        int end = Limits.MAX_USERNAME_LENGTH;
        if (Character.isHighSurrogate(trimmed.charAt(end - 1))) {
            end--;
        }
        return trimmed.substring(0, end).strip();
    }

    /**
     * Tells whether a room name is valid: 1 to {@link Limits#MAX_ROOM_LENGTH} characters of
     * {@code A-Z a-z 0-9 _ . -}, starting with a letter or digit. Names are case-sensitive.
     *
     * @param room the room name
     * @return {@code true} when valid
     */
    public static boolean isValidRoom(String room) {
        return room != null && ROOM.matcher(room).matches();
    }
}
