package dev.wschat.server.chat;

import dev.wschat.protocol.ClientMessage;
import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.ErrorCode;
import dev.wschat.protocol.JsonCodec;
import dev.wschat.protocol.Limits;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.protocol.Timestamps;
import dev.wschat.server.auth.Identity;
import dev.wschat.server.broker.AwayRegistry;
import dev.wschat.server.broker.Broker;
import dev.wschat.server.broker.DirectRelay;
import dev.wschat.server.broker.LocalBroker;
import dev.wschat.server.broker.LocalDirectRelay;
import dev.wschat.server.broker.Takeovers;
import dev.wschat.server.history.History;
import dev.wschat.server.history.InMemoryHistory;
import dev.wschat.server.limits.CloseGuard;
import dev.wschat.server.limits.ConnectionLimitHandler;
import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.server.presence.LocalPresence;
import dev.wschat.server.presence.Presence;
import io.netty.channel.Channel;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * What the chat does: starts and ends sessions, and applies the rules to each decoded client message before handing
 * it to the part that does it ({@link RoomMembership}, {@link Posting}, {@link DirectMessages}, {@link Resumption}).
 * Called on the sending connection's event loop; never blocks.
 */
public final class ChatService {
    private static final Logger LOG = LogManager.getLogger(ChatService.class);
    private static final int MAX_ROOMS_LISTED = 1_000;

    private final RoomRegistry rooms;
    private final ServerMetrics metrics;
    private final Replies replies;
    private final Sessions sessions;
    private final RoomMembership membership;
    private final Posting posting;
    private final Resumption resumption;
    private final DirectMessages directMessages;
    private volatile boolean draining;

    /**
     * Starts building a service; what is not given is the single-node default (in-process broker, presence and
     * relays, history kept in memory for 100 messages a room).
     *
     * @param settings limits and windows
     * @param codec    the codec for direct replies
     * @param rooms    this node's rooms
     * @param metrics  counts connections and rejections
     * @return the builder
     */
    public static Builder builder(ChatSettings settings, JsonCodec codec, RoomRegistry rooms, ServerMetrics metrics) {
        return new Builder(settings, codec, rooms, metrics);
    }

    private ChatService(Builder b) {
        Broker broker = b.broker != null ? b.broker : new LocalBroker(b.rooms);
        History history = b.history != null ? b.history : new InMemoryHistory(100);
        MessageIds ids = new MessageIds();
        this.rooms = b.rooms;
        this.metrics = b.metrics;
        this.replies = new Replies(b.codec);
        this.sessions = new Sessions(b.directs);
        this.membership = new RoomMembership(b.settings, rooms, broker, history, b.presence, replies, metrics);
        this.posting = new Posting(history, broker, rooms, replies, metrics, ids);
        this.resumption = new Resumption(b.settings, sessions, membership, replies, b.takeovers, b.away, metrics);
        this.directMessages = new DirectMessages(b.settings, sessions, resumption, history, b.presence, b.directs,
                b.away, replies, metrics, ids);
        b.presence.onDeparture(membership::departed);
    }

    /** The number of connected sessions (a user signed in from two tabs counts twice). */
    public int sessionCount() {
        return sessions.count();
    }

    /** Every connected session. */
    public Collection<Session> sessions() {
        return sessions.all();
    }

    /** This node's rooms. */
    public RoomRegistry rooms() {
        return rooms;
    }

    /** The number of dropped sessions kept for a resume. */
    public int detachedCount() {
        return resumption.detachedCount();
    }

    /** Stops the resume timer; kept sessions are forgotten. Called once the connections are closed. */
    public void close() {
        resumption.close();
    }

    /**
     * Starts a session on a channel whose handshake completed: welcome, then the lobby. The id and name
     * come from the channel's verified {@link Identity} when authentication is on.
     *
     * @param channel the connection
     * @param dialect its negotiated dialect
     * @return the new session
     */
    public Session connect(Channel channel, Dialect dialect) {
        return connect(channel, dialect, Identity.of(channel));
    }

    /**
     * Starts a session on a channel whose handshake completed: welcome, then the lobby.
     *
     * @param channel  the connection
     * @param dialect  its negotiated dialect
     * @param identity who the client's token says it is ({@code sub} becomes the id, the name the username),
     *                 or {@code null} for an anonymous client with a random id
     * @return the new session
     */
    public Session connect(Channel channel, Dialect dialect, Identity identity) {
        return connect(channel, dialect, identity, null);
    }

    /**
     * Starts a session on a channel whose handshake completed. With a valid {@code resumeToken} (dialect 2, resume
     * on, and with authentication for the same {@code sub}) it keeps the token's client id and username and, when
     * the session was kept since its connection dropped, gets its rooms back without a join or leave notice; any
     * other token is ignored: a new session, as without one.
     *
     * @param channel     the connection
     * @param dialect     its negotiated dialect
     * @param identity    who the client's token says it is, or {@code null}
     * @param resumeToken the {@code resume} query parameter of the handshake, or {@code null}
     * @return the session, or {@code null} when it starts a moment later (it takes over a live connection's session)
     */
    public Session connect(Channel channel, Dialect dialect, Identity identity, String resumeToken) {
        ResumeTokens.Claims claims = resumption.verify(channel, dialect, identity, resumeToken);
        if (claims != null) {
            Session live = sessions.of(claims.clientId(), claims.resumeKey());
            if (live != null && live.channel() != channel) {
                takeOver(live, channel, dialect, identity, claims);
                return null;
            }
            return start(channel, dialect, identity, claims, resumption.claim(claims.resumeKey()));
        }
        return start(channel, dialect, identity, null, null);
    }

    /**
     * The session a token names is still attached to a connection (one the client gave up on before the server saw it
     * drop, or another tab given the same token): that connection is closed 4009 and its session moves here.
     */
    private void takeOver(Session live, Channel channel, Dialect dialect, Identity identity,
                          ResumeTokens.Claims claims) {
        // Not Loops.run: a stopped loop throws to the handshake's handler, which closes the new connection.
        live.channel().eventLoop().execute(() -> {
            if (live.end()) {
                if (!resumption.detach(live)) {
                    sessions.forget(live); // its disconnect, which finds it ended, will not
                    membership.leaveAll(live.channel(), RoomMembership.memberKey(live), List.copyOf(live.rooms()),
                            live.user());
                }
                live.rooms().clear();
            }
            Replies.closeResumed(live.channel());
            channel.eventLoop().execute(() -> {
                if (channel.isActive()) {
                    start(channel, dialect, identity, claims, resumption.claim(claims.resumeKey()));
                }
            });
        });
    }

    private Session start(Channel channel, Dialect dialect, Identity identity, ResumeTokens.Claims claims,
                          DetachedSessions.Detached kept) {
        String id;
        String name;
        String resumeKey;
        if (claims != null) {
            id = claims.clientId();
            name = kept != null ? kept.username() : claims.username();
            resumeKey = claims.resumeKey();
        } else {
            String random = UUID.randomUUID().toString();
            id = identity != null ? identity.subject() : random;
            name = identity != null && identity.name() != null ? identity.name() : "User-" + random.substring(0, 4);
            // Without authentication the id is random already; a signed-in user's tabs share an id, not a key.
            resumeKey = identity != null ? id + "/" + UUID.randomUUID() : id;
        }
        Session session = new Session(id, name, dialect, channel, resumeKey);
        if (claims != null && kept == null) {
            // Its rooms were kept elsewhere (another node, which hands them over now) or no longer: each join asks
            // presence whether the user is still listed there, and only a user who was not is announced.
            session.rejoin();
        }
        channel.attr(Session.KEY).set(session);
        sessions.attach(session);
        // Asked only now it is attached: a direct message kept after this is given live (see DirectMessages).
        boolean readInbox = claims != null && directMessages.mayHaveKept(kept);
        if (claims != null) {
            session.inbox(new Inbox(claims.inboxSeq()));
        }
        metrics.connectionOpened();
        LOG.debug("[{}] connected as {} ({}, {}) from {}", channel.id(), id, dialect,
                claims == null ? "new" : kept == null ? "resumed, no rooms kept" : "resumed",
                ConnectionLimitHandler.clientAddress(channel) != null
                        ? ConnectionLimitHandler.clientAddress(channel) : channel.remoteAddress());
        String token = resumption.newToken(session);
        // The welcome is flushed only once the lobby join is announced: a client that connects after this one saw
        // its welcome is then never told of this join (it was a member before, as with the tutorial's server).
        replies.write(session, new ServerMessage.Welcome(id, session.username(), Timestamps.now(), token,
                token == null ? null : claims != null));
        if (claims != null) {
            resumption.resumed(id, resumeKey);
        }
        if (kept != null) {
            membership.reattach(session, kept);
        } else if (claims == null) {
            membership.joinDefault(session);
        }
        channel.flush();
        if (claims != null) {
            directMessages.openInbox(session, readInbox);
        }
        return session;
    }

    /**
     * Ends a session whose channel closed: leaves its rooms, announcing it, and forgets it. A dialect-2 session whose
     * connection dropped (no Close frame, a client's Close other than 1000, or the server's 1001) is kept instead for
     * the resume window, rooms and presence untouched, unless {@code --max-detached-sessions} are kept already.
     *
     * @param session the session of a closed channel
     */
    public void disconnect(Session session) {
        if (!session.end()) {
            return; // taken over by a resume: its rooms moved on
        }
        CloseGuard guard = CloseGuard.of(session.channel());
        boolean forGood = guard != null && guard.endedForGood();
        if (!forGood && resumption.detach(session)) {
            return;
        }
        // remove(id, session): a user signed in twice shares one id; the other connection stays mapped.
        if (!sessions.forget(session) && session.rooms().isEmpty()) {
            return;
        }
        membership.leaveAll(session.channel(), RoomMembership.memberKey(session), List.copyOf(session.rooms()),
                session.user());
        session.rooms().clear();
        LOG.debug("[{}] disconnected {}", session.channel().id(), session.id());
    }

    /**
     * Stops acting on client messages: every later one is dropped, so the server accepts nothing that its
     * drain could not deliver. Called once on shutdown, before the close frames are queued.
     */
    public void drain() {
        draining = true;
    }

    /**
     * Whether every chat message accepted before {@link #drain()} has been stored and handed to the fan-out, or
     * refused: a drain waits for this before it queues the close frames, or an append still in the store's queue
     * would be delivered to some members after their 1001 and to others before it.
     *
     * @return whether nothing posted is still on its way to the store
     */
    public boolean settled() {
        return posting.settled();
    }

    /**
     * Acts on one decoded message. A message about a room (a chat message, {@code history}, {@code leave},
     * {@code who}) is refused {@code not_in_room} unless the session is in the room.
     *
     * @param session the sender
     * @param message what it sent
     */
    public void handle(Session session, ClientMessage message) {
        if (draining) {
            return;
        }
        if (message instanceof ClientMessage.Chat m) {
            String room = m.room() != null ? m.room() : Limits.DEFAULT_ROOM;
            if (membership.requireMember(session, room, m.ref())) {
                posting.post(session, room, m);
            }
        } else if (message instanceof ClientMessage.Join m) {
            membership.join(session, m);
        } else if (message instanceof ClientMessage.Resume m) {
            membership.resume(session, m);
        } else if (message instanceof ClientMessage.HistoryRequest m) {
            if (membership.requireMember(session, m.room(), m.ref())) {
                membership.historyPage(session, m);
            }
        } else if (message instanceof ClientMessage.Leave m) {
            if (membership.requireMember(session, m.room(), m.ref())) {
                membership.leave(session, m);
            }
        } else if (message instanceof ClientMessage.SetUsername m) {
            rename(session, m.username());
        } else if (message instanceof ClientMessage.Who m) {
            if (membership.requireMember(session, m.room(), m.ref())) {
                membership.who(session, m);
            }
        } else if (message instanceof ClientMessage.ListRooms) {
            replies.send(session, new ServerMessage.RoomList(rooms.list(MAX_ROOMS_LISTED)));
        } else if (message instanceof ClientMessage.DirectMessage m) {
            directMessages.send(session, m);
        } else if (message instanceof ClientMessage.Invalid m) {
            countRejection(m.code());
            replies.error(session, m.code(), m.message(), m.ref());
        } else if (message instanceof ClientMessage.Ignored m) {
            LOG.debug("[{}] ignored message of type {}", session.channel().id(), m.type());
        }
        // Room events this message caused for members on the sender's own loop are written now, before the
        // loop reads the sender's next message: the sender sees its own echo before any reply to what it sent
        // next (an error, a rate limit), as a client expects.
        rooms.drainOwed(session.channel().eventLoop());
    }

    private void rename(Session session, String username) {
        String old = session.username();
        session.username(username);
        // The token carries the name: a resume after this keeps the new one.
        resumption.sendToken(session);
        membership.renamed(session, old);
    }

    private void countRejection(ErrorCode code) {
        switch (code) {
            case TOO_LONG -> metrics.rejected(ServerMetrics.Reason.TOO_LONG);
            case BAD_REQUEST -> metrics.rejected(ServerMetrics.Reason.BAD_REQUEST);
            default -> {
                // other refusals are ordinary replies, not abuse
            }
        }
    }

    /**
     * Another node resumed a session this node still holds: it ends here without notices, closed 4009 if it is
     * attached (see {@link Resumption}). Called on the relay's thread; never blocks.
     *
     * @param userId    the session's client id
     * @param resumeKey its resume key
     */
    public void resumedElsewhere(String userId, String resumeKey) {
        resumption.resumedElsewhere(userId, resumeKey);
    }

    /**
     * Delivers a direct message relayed from another node to the recipient's session here, on its event loop (in
     * the order relayed).
     *
     * @param dm the message
     * @return whether the recipient had a session here
     */
    public boolean deliverRelayed(ServerMessage.Direct dm) {
        Objects.requireNonNull(dm, "dm");
        return directMessages.deliverRelayed(dm);
    }

    /**
     * Writes one message to one session, encoded for its dialect; skipped when the dialect has no form of it.
     *
     * @param session the recipient
     * @param message the message
     */
    public void send(Session session, ServerMessage message) {
        replies.send(session, message);
    }

    /** Collects a service's collaborators; each has a single-node default. */
    public static final class Builder {
        private final ChatSettings settings;
        private final JsonCodec codec;
        private final RoomRegistry rooms;
        private final ServerMetrics metrics;
        private Broker broker;
        private History history;
        private Presence presence = new LocalPresence();
        private DirectRelay directs = new LocalDirectRelay();
        private Takeovers takeovers = Takeovers.NONE;
        private AwayRegistry away = AwayRegistry.NONE;

        private Builder(ChatSettings settings, JsonCodec codec, RoomRegistry rooms, ServerMetrics metrics) {
            this.settings = Objects.requireNonNull(settings, "settings");
            this.codec = Objects.requireNonNull(codec, "codec");
            this.rooms = Objects.requireNonNull(rooms, "rooms");
            this.metrics = Objects.requireNonNull(metrics, "metrics");
        }

        /** Where room events are published; default in-process. */
        public Builder broker(Broker broker) {
            this.broker = Objects.requireNonNull(broker, "broker");
            return this;
        }

        /** Where chat messages are stored and numbered; default in memory. */
        public Builder history(History history) {
            this.history = Objects.requireNonNull(history, "history");
            return this;
        }

        /** Who is in each room; default this node's. */
        public Builder presence(Presence presence) {
            this.presence = Objects.requireNonNull(presence, "presence");
            return this;
        }

        /** Carries direct messages to users connected to other nodes; default none. */
        public Builder directs(DirectRelay directs) {
            this.directs = Objects.requireNonNull(directs, "directs");
            return this;
        }

        /** Tells other nodes of sessions resumed here; default none. */
        public Builder takeovers(Takeovers takeovers) {
            this.takeovers = Objects.requireNonNull(takeovers, "takeovers");
            return this;
        }

        /** Records sessions kept for a resume where every node sees them; default none. */
        public Builder away(AwayRegistry away) {
            this.away = Objects.requireNonNull(away, "away");
            return this;
        }

        /** The service. */
        public ChatService build() {
            return new ChatService(this);
        }
    }
}
