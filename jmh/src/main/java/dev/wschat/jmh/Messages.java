package dev.wschat.jmh;

import dev.wschat.protocol.ServerMessage;

/** The messages the benchmarks encode and decode: a typical chat line of about 60 characters. */
public final class Messages {
    /** A chat line as people type it. */
    public static final String TEXT = "hey all, is the deploy still on for 5pm? I can help test it";

    /** A client's v2 chat message carrying {@link #TEXT}. */
    public static final String CLIENT_CHAT_V2 =
            "{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"" + TEXT + "\",\"ref\":\"c-42\"}";

    /** A tutorial client's chat message carrying {@link #TEXT}. */
    public static final String CLIENT_CHAT_TUTORIAL = "{\"type\":\"chat\",\"content\":\"" + TEXT + "\"}";

    private Messages() {
    }

    /** The chat message the server delivers for {@link #TEXT} in room {@code lobby}. */
    public static ServerMessage.Chat chat() {
        return new ServerMessage.Chat("lobby", "6f1c2a9e-3b7d-4c2e-9a51-0d8e7f6a5b4c", 12_345L,
                new ServerMessage.User("0b7e3c52-8f14-4d6a-a2c9-5e1f0d3b7a86", "alice"), TEXT,
                "2026-11-26T16:20:00.000Z");
    }
}
