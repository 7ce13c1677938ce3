package dev.wschat.server.chat;

import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.ServerMessage;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Per-connection state, kept as a channel attribute. {@link #rooms()} is touched only on the
 * channel's event loop; the username is read by other loops (presence) and so is volatile.
 */
public final class Session {
    /** The channel attribute holding a connection's session once its handshake completed. */
    public static final AttributeKey<Session> KEY = AttributeKey.valueOf("wschat.session");

    private final String id;
    private final Dialect dialect;
    private final Channel channel;
    private final String resumeKey;
    private final Set<String> rooms = new LinkedHashSet<>();
    /**
     * Rooms kept across a resume whose live messages are held until the client catches them up; {@code null} until
     * the first (most sessions never resume: 88 B saved on each). Loop-only.
     */
    private Set<String> held;
    /**
     * Rooms whose join notice waits for presence to say whether the user was listed there already; {@code null}
     * unless the session was resumed by token on a node that kept none of its rooms (its joins are re-joins).
     * Loop-only.
     */
    private Set<String> rejoins;
    /** Direct messages kept while it was away; {@code null} unless it was resumed by token. Loop-only. */
    private Inbox inbox;
    private volatile String username;
    /** When the session's current resume token was issued (epoch millis), 0 when it has none. */
    private volatile long tokenIssuedAt;
    /** Set once the session ended, was detached or was taken over: its channel's close then does nothing more. */
    private boolean over;

    Session(String id, String username, Dialect dialect, Channel channel) {
        this(id, username, dialect, channel, id);
    }

    Session(String id, String username, Dialect dialect, Channel channel, String resumeKey) {
        this.id = Objects.requireNonNull(id, "id");
        this.username = Objects.requireNonNull(username, "username");
        this.dialect = Objects.requireNonNull(dialect, "dialect");
        this.channel = Objects.requireNonNull(channel, "channel");
        this.resumeKey = Objects.requireNonNull(resumeKey, "resumeKey");
    }

    /** What a resume token names: one session of this user (two tabs of one signed-in user have two). */
    String resumeKey() {
        return resumeKey;
    }

    /** The kept rooms not caught up yet since a resume, read-only; event-loop only. */
    Set<String> held() {
        return held == null ? Set.of() : Collections.unmodifiableSet(held);
    }

    /** Holds a kept room's live messages until the client catches it up; event-loop only. */
    void hold(String room) {
        if (held == null) {
            held = new LinkedHashSet<>();
        }
        held.add(room);
    }

    /** Whether the room was held, which it is no longer; event-loop only. */
    boolean release(String room) {
        return held != null && held.remove(room);
    }

    /** Forgets every held room (the session ended); event-loop only. */
    void releaseAll() {
        if (held != null) {
            held.clear();
        }
    }

    /** Makes this session's joins re-joins: resumed by token, none of its rooms kept here; event-loop only. */
    void rejoin() {
        if (rejoins == null) {
            rejoins = new LinkedHashSet<>();
        }
    }

    /** Whether this session's joins are re-joins; event-loop only. */
    boolean rejoins() {
        return rejoins != null;
    }

    /** Notes that a room's join notice waits for presence's answer (see {@link #rejoin}); event-loop only. */
    void awaitListed(String room) {
        rejoins.add(room);
    }

    /** Whether a room's join notice was waiting for presence's answer, which it is no longer; event-loop only. */
    boolean listedAnswered(String room) {
        return rejoins != null && rejoins.remove(room);
    }

    /** Its inbox, or {@code null} when it was not resumed by token; event-loop only. */
    Inbox inbox() {
        return inbox;
    }

    void inbox(Inbox inbox) {
        this.inbox = inbox;
    }

    /** The seq of the last kept direct message given, for its resume token; 0 when none was. */
    long inboxGiven() {
        Inbox i = inbox;
        return i == null ? 0 : i.given();
    }

    long tokenIssuedAt() {
        return tokenIssuedAt;
    }

    void tokenIssuedAt(long millis) {
        this.tokenIssuedAt = millis;
    }

    /** Marks the session over; {@code false} when it already was. Event-loop only. */
    boolean end() {
        if (over) {
            return false;
        }
        over = true;
        return true;
    }

    /** The client id: a random UUID, or the {@code sub} of the client's token when authentication is on. */
    public String id() {
        return id;
    }

    /** The current username. */
    public String username() {
        return username;
    }

    void username(String username) {
        this.username = username;
    }

    /** The wire dialect negotiated at the handshake. */
    public Dialect dialect() {
        return dialect;
    }

    /** The connection. */
    public Channel channel() {
        return channel;
    }

    /** The rooms joined, in join order; event-loop only. */
    Set<String> rooms() {
        return rooms;
    }

    /** This user as others see them. */
    public ServerMessage.User user() {
        return new ServerMessage.User(id, username);
    }

    /**
     * The session of a channel, or {@code null} before its handshake completed.
     *
     * @param channel the channel
     * @return its session or {@code null}
     */
    public static Session of(Channel channel) {
        return channel.attr(KEY).get();
    }
}
