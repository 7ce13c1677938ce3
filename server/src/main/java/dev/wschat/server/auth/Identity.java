package dev.wschat.server.auth;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

import java.time.Instant;
import java.util.Objects;

/**
 * Who a verified token says the client is: the user id from {@code sub}, the display name from the name
 * claim, and when the token expires.
 *
 * @param subject   the user id ({@code sub}), at most {@link #MAX_SUBJECT_LENGTH} characters
 * @param name      the cleaned display name, or {@code null} when the token carries none
 * @param expiresAt when the token expires ({@code exp})
 */
public record Identity(String subject, String name, Instant expiresAt) {
    /** Longest {@code sub} accepted; it becomes the client id other users address direct messages to. */
    public static final int MAX_SUBJECT_LENGTH = 128;

    /** The channel attribute holding a connection's verified identity, set before its handshake completes. */
    public static final AttributeKey<Identity> KEY = AttributeKey.valueOf("wschat.identity");

    /** Checks the parts. */
    public Identity {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }

    /**
     * The verified identity of a channel.
     *
     * @param channel the channel
     * @return its identity, or {@code null} when authentication is off or failed
     */
    public static Identity of(Channel channel) {
        return channel.attr(KEY).get();
    }
}
