package dev.wschat.bench;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The part of Socket.IO v5 over Engine.IO v4 the bench speaks, WebSocket transport only (no polling, no
 * upgrade): one Engine.IO packet per WebSocket text frame, the packet type as its first character. The client
 * connects to {@code /socket.io/?EIO=4&transport=websocket&room=ROOM}, gets the Engine.IO open packet
 * {@code 0{...}}, answers with a Socket.IO CONNECT to the main namespace ({@code 40}), is connected at
 * {@code 40{...}}, answers every Engine.IO ping ({@code 2}) with a pong ({@code 3}), and sends and receives
 * chat as the EVENT {@code 42["chat","TEXT"]}.
 */
final class SocketIo {
    /** The Engine.IO query of a WebSocket-only connection. */
    static final String QUERY = "EIO=4&transport=websocket";
    /** Socket.IO CONNECT to the main namespace, sent after the open packet. */
    static final String CONNECT = "40";
    /** Engine.IO pong, the answer to a ping. */
    static final String PONG = "3";

    private static final byte[] CHAT_HEAD = "42[\"chat\",\"".getBytes(StandardCharsets.US_ASCII);

    /** What one received packet is, for the connection's state. */
    enum Packet {
        /** Engine.IO open {@code 0{...}}: answer with {@link #CONNECT}. */
        OPEN,
        /** Socket.IO CONNECT acknowledged {@code 40{...}}: ready. */
        CONNECTED,
        /** Engine.IO ping {@code 2}: answer with {@link #PONG}. */
        PING,
        /** Socket.IO DISCONNECT {@code 41}, or Engine.IO close {@code 1}: the server is done with this client. */
        CLOSE,
        /** Anything else: an event, an error, a noop. */
        OTHER
    }

    private SocketIo() {
    }

    /**
     * The upgrade request's target for a node's {@code --url} path: {@code PATH/socket.io/?EIO=4&transport=websocket}
     * (the path kept as given when it already names {@code socket.io}), with {@code &room=ROOM} when a room is given.
     */
    static String target(String path, String room) {
        String base = path == null || path.isEmpty() ? "/" : path;
        if (!base.contains("socket.io")) {
            base = (base.endsWith("/") ? base : base + "/") + "socket.io/";
        }
        StringBuilder sb = new StringBuilder(base.length() + 64).append(base)
                .append(base.contains("?") ? '&' : '?').append(QUERY);
        if (room != null) {
            sb.append("&room=").append(URLEncoder.encode(room, StandardCharsets.UTF_8));
        }
        return sb.toString();
    }

    /** Classifies a received packet by its first bytes, without decoding it. */
    static Packet packet(byte[] s, int off, int len) {
        if (len < 1) {
            return Packet.OTHER;
        }
        return switch (s[off]) {
            case '0' -> Packet.OPEN;
            case '1' -> Packet.CLOSE;
            case '2' -> len == 1 ? Packet.PING : Packet.OTHER;
            case '4' -> len >= 2 && s[off + 1] == '0' ? Packet.CONNECTED
                    : len == 2 && s[off + 1] == '1' ? Packet.CLOSE : Packet.OTHER;
            default -> Packet.OTHER;
        };
    }

    /**
     * Where the text of a chat event {@code 42["chat","TEXT"]} ends: the index of the quote after TEXT (which is
     * escaped JSON), or -1 when the packet is no chat event with one string argument.
     */
    static int chatTextEnd(byte[] s, int off, int len) {
        int end = off + len;
        if (len < CHAT_HEAD.length + 2 || s[end - 1] != ']' || s[end - 2] != '"') {
            return -1;
        }
        for (int k = 0; k < CHAT_HEAD.length; k++) {
            if (s[off + k] != CHAT_HEAD[k]) {
                return -1;
            }
        }
        // the closing quote must not be escaped: count the backslashes before it
        int b = end - 3;
        while (b >= off + CHAT_HEAD.length && s[b] == '\\') {
            b--;
        }
        return ((end - 3 - b) & 1) == 0 ? end - 2 : -1;
    }

    /** The chat event {@code 42["chat","TEXT"]} carrying {@code text}, JSON-escaped. */
    static String chat(CharSequence text) {
        StringBuilder sb = new StringBuilder(text.length() + 16).append("42[\"chat\",\"");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append("\"]").toString();
    }
}
