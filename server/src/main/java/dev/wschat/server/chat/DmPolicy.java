package dev.wschat.server.chat;

/** Who may send a direct message to whom ({@code --dm-policy}). */
public enum DmPolicy {
    /** Anyone connected to anyone connected (or away within the resume window). */
    ANYONE,
    /** Only to a user in at least one room the sender is in. */
    SHARED_ROOM,
    /** Nobody: direct messages are off. */
    NONE
}
