package dev.wschat.bench;

import picocli.CommandLine.ITypeConverter;

import java.util.Locale;

/** What the bench speaks on the WebSocket: wschat's protocol (either dialect) or Socket.IO's. */
enum Wire {
    /** wschat's own protocol, in the dialect of {@code --dialect}. */
    WSCHAT,
    /** Socket.IO v5 over Engine.IO v4, WebSocket transport only ({@link SocketIo}). */
    SOCKETIO;

    /** {@code --wire}: {@code wschat} or {@code socketio}. */
    static final class Converter implements ITypeConverter<Wire> {
        @Override
        public Wire convert(String value) {
            return switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "wschat" -> WSCHAT;
                case "socketio", "socket.io" -> SOCKETIO;
                default -> throw new IllegalArgumentException("must be wschat or socketio");
            };
        }
    }
}
