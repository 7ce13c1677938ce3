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
import dev.wschat.server.broker.RoomEvent;
import dev.wschat.server.broker.Takeovers;
import dev.wschat.server.history.History;
import dev.wschat.server.history.InMemoryHistory;
import dev.wschat.server.limits.CloseGuard;
import dev.wschat.server.limits.ConnectionLimitHandler;
import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.server.presence.LocalPresence;
import dev.wschat.server.presence.Presence;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the chat does: connects and disconnects sessions, and acts on each decoded client message.
 * Called on the sending connection's event loop; never blocks.
 */
public final class ChatService {
    private static final Logger LOG = LogManager.getLogger(ChatService.class);
    private static final int MAX_ROOMS_LISTED = 1_000;

    private final ChatSettings config;
    private final JsonCodec codec;
    private final RoomRegistry rooms;
    private final Broker broker;
    private final History history;
    private final Presence presence;
    private final DirectRelay directs;
    private final Takeovers takeovers;
    private final AwayRegistry away;
    private final ServerMetrics metrics;
    /** Each id's connected sessions, oldest first: one, or several for a user signed in from several tabs. */
    private final Map<String, List<Session>> sessions = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger connected = new java.util.concurrent.atomic.AtomicInteger();
    private final String nodePrefix = Long.toString(System.currentTimeMillis(), 36) + "-";
    private final AtomicLong messageIds = new AtomicLong();
    /** Signs resume tokens; {@code null} when resume is off ({@code --resume-window 0}). */
    private final ResumeTokens tokens;
    /** Dropped sessions kept for a resume; {@code null} when resume is off. */
    private final DetachedSessions detached;
    /** Sessions, attached or detached, ended here because another node resumed them. */
    private final Counter takenOverElsewhere;
    /** Direct messages kept for users away (their sessions kept for a resume), delivered when they resume. */
    private final Counter directsKept;
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
        this.config = b.settings;
        this.codec = b.codec;
        this.rooms = b.rooms;
        this.metrics = b.metrics;
        this.broker = b.broker != null ? b.broker : new LocalBroker(b.rooms);
        this.history = b.history != null ? b.history : new InMemoryHistory(100);
        this.presence = b.presence;
        this.directs = b.directs;
        this.takeovers = b.takeovers;
        this.away = b.away;
        this.takenOverElsewhere = metrics.counter("wschat.sessions.resumed.elsewhere",
                "Sessions ended on this node, without notices, because another node resumed them");
        this.directsKept = metrics.counter("wschat.dm.kept",
                "Direct messages stored for users away (kept for a resume), given when they resume");
        Duration window = config.resumeWindow();
        if (window.isZero()) {
            this.tokens = null;
            this.detached = null;
        } else {
            this.tokens = ResumeTokens.create(config.sessionSecret(), Clock.systemUTC());
            this.detached = new DetachedSessions(config.maxDetachedSessions(), window);
            detached.schedule(this::refreshTokens, refreshPeriod());
        }
        presence.onDeparture(this::departed);
    }

    /**
     * Announces a member whose node vanished (a shared presence found it expired): nobody else will. Called once per
     * member across all nodes, by the node whose sweep removed it; the leave goes through the broker to every node,
     * as a leave announced by the member's own node would have. Not when the user is still in the room through
     * another connection: a session resumed on another node after its node stopped (a drain) has not left.
     */
    private void departed(String room, ServerMessage.User user) {
        if (presence.includes(room, user.id())) {
            return;
        }
        if (presence.page(room, null, 1).total() < config.announceLimit()) {
            publish(room, new ServerMessage.Notice(ServerMessage.NoticeKind.LEAVE, room, user, null, Timestamps.now()),
                    null, RoomEvent.Exclusion.NONE);
        }
    }

    /** The number of connected sessions (a user signed in from two tabs counts twice). */
    public int sessionCount() {
        return connected.get();
    }

    /** Every connected session. */
    public Collection<Session> sessions() {
        return sessions.values().stream().flatMap(List::stream).toList();
    }

    /** The id's connected sessions, oldest first; empty when it has none here. */
    private List<Session> sessionsOf(String id) {
        return sessions.getOrDefault(id, List.of());
    }

    /** The id's connected session with that resume key, or {@code null}. */
    private Session sessionOf(String id, String resumeKey) {
        for (Session s : sessionsOf(id)) {
            if (s.resumeKey().equals(resumeKey)) {
                return s;
            }
        }
        return null;
    }

    /** This node's rooms. */
    public RoomRegistry rooms() {
        return rooms;
    }

    /** The number of dropped sessions kept for a resume. */
    public int detachedCount() {
        return detached == null ? 0 : detached.size();
    }

    /** Stops the resume timer; kept sessions are forgotten. Called once the connections are closed. */
    public void close() {
        if (detached != null) {
            detached.close();
        }
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
        ResumeTokens.Claims claims = null;
        if (tokens != null && dialect == Dialect.V2 && resumeToken != null) {
            claims = tokens.verify(resumeToken).orElse(null);
            if (claims != null && identity != null && !identity.subject().equals(claims.clientId())) {
                LOG.debug("[{}] ignored a resume token of another user", channel.id());
                claims = null; // a token never lets one signed-in user take another's id
            }
        }
        if (claims != null) {
            Session live = sessionOf(claims.clientId(), claims.resumeKey());
            if (live != null && live.channel() != channel) {
                takeOver(live, channel, dialect, identity, claims);
                return null;
            }
            return start(channel, dialect, identity, claims, detached.claim(claims.resumeKey()));
        }
        return start(channel, dialect, identity, null, null);
    }

    /**
     * The session a token names is still attached to a connection (one the client gave up on before the server saw it
     * drop, or another tab given the same token): that connection is closed 4009 and its session moves here.
     */
    private void takeOver(Session live, Channel channel, Dialect dialect, Identity identity,
                          ResumeTokens.Claims claims) {
        live.channel().eventLoop().execute(() -> {
            if (live.end()) {
                if (!detach(live)) {
                    leaveAll(live.channel(), memberKey(live), List.copyOf(live.rooms()), live.user());
                }
                live.rooms().clear();
            }
            live.channel().writeAndFlush(new io.netty.handler.codec.http.websocketx.CloseWebSocketFrame(
                    dev.wschat.protocol.CloseCodes.SESSION_RESUMED, "Session resumed elsewhere"))
                    .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            channel.eventLoop().execute(() -> {
                if (channel.isActive()) {
                    start(channel, dialect, identity, claims, detached.claim(claims.resumeKey()));
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
        attach(session);
        // Read only now it is attached: a direct message kept after this is given live (see keepForResume).
        // In a cluster another node may have kept one for it (it was away there, see keepForResume): always read.
        boolean readInbox = claims != null
                && (kept == null || kept.inboxUsed().get() || directs.reachesOtherNodes());
        if (claims != null) {
            session.inbox(new Inbox(claims.inboxSeq()));
        }
        metrics.connectionOpened();
        LOG.debug("[{}] connected as {} ({}, {}) from {}", channel.id(), id, dialect,
                claims == null ? "new" : kept == null ? "resumed, no rooms kept" : "resumed",
                ConnectionLimitHandler.clientAddress(channel) != null
                        ? ConnectionLimitHandler.clientAddress(channel) : channel.remoteAddress());
        String token = newToken(session);
        // The welcome is flushed only once the lobby join is announced: a client that connects after this one saw
        // its welcome is then never told of this join (it was a member before, as with the tutorial's server).
        write(session, new ServerMessage.Welcome(id, session.username(), Timestamps.now(), token,
                token == null ? null : claims != null));
        if (claims != null) {
            takeovers.resumed(id, resumeKey); // a node where this session is still attached closes it (4009)
            away.back(id, resumeKey);
        }
        if (kept != null) {
            reattach(session, kept);
        } else if (claims == null) {
            join(session, Limits.DEFAULT_ROOM);
        }
        channel.flush();
        if (readInbox) {
            readInbox(session);
        } else if (session.inbox() != null) {
            give(session, session.inbox().loaded(List.of()));
        }
        return session;
    }

    /** Gives a resumed session the direct messages kept for it while it was away (on this node or another). */
    private void readInbox(Session session) {
        Inbox inbox = session.inbox();
        history.after(Inbox.room(session.resumeKey()), inbox.given(), config.recoveryLimit())
                .whenComplete((page, failure) -> {
                    if (failure != null) {
                        LOG.warn("[{}] the direct messages kept for {} cannot be read now: {}",
                                session.channel().id(), session.id(), failure.toString());
                    }
                    onLoop(session, "the kept direct messages", () -> give(session,
                            inbox.loaded(failure != null ? List.of() : page.messages())));
                });
    }

    /** Runs a task on the session's event loop; when that has stopped (the server is stopping), says what was not done. */
    private static void onLoop(Session session, String what, Runnable task) {
        try {
            session.channel().eventLoop().execute(task);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            LOG.debug("[{}] event loop stopped before {}", session.channel().id(), what);
        }
    }

    /** Sends kept direct messages to their session, then a token that says they were given; on its event loop. */
    private void give(Session session, List<ServerMessage.Chat> kept) {
        if (kept.isEmpty()) {
            return;
        }
        for (ServerMessage.Chat m : kept) {
            write(session, new ServerMessage.Direct(m.id(), m.from(), session.id(), m.message(), m.timestamp()));
        }
        sendToken(session);
    }

    /**
     * A direct message to a user whose connections all dropped while their sessions are kept for a resume here: it is
     * stored in each kept session's inbox, and the sender gets its echo once every one of them has it (then a restart
     * or {@code kill -9} cannot lose it); {@code unavailable} when the store cannot take it. A session that resumed
     * while it was being stored gets it live, once.
     */
    private void keepForResume(Session session, ServerMessage.Direct dm, ClientMessage.DirectMessage m,
                               List<String> resumeKeys) {
        CompletableFuture<?>[] stored =
                new CompletableFuture<?>[resumeKeys.size()];
        for (int i = 0; i < stored.length; i++) {
            String resumeKey = resumeKeys.get(i);
            ServerMessage.Chat draft = new ServerMessage.Chat(Inbox.room(resumeKey), dm.id(), 0, dm.from(),
                    dm.message(), dm.timestamp());
            stored[i] = history.append(draft, null, session.id(), a -> storedForResume(dm.to(), resumeKey,
                    a.message())).toCompletableFuture();
        }
        CompletableFuture.allOf(stored).whenComplete((done, failure) -> {
            onLoop(session, "a kept direct message's answer", () -> {
                if (failure != null) {
                    LOG.debug("[{}] direct message not kept: {}", session.channel().id(), failure.toString());
                    metrics.rejected(ServerMetrics.Reason.UNAVAILABLE);
                    error(session, ErrorCode.UNAVAILABLE,
                            "The server cannot store direct messages right now; try again", m.ref());
                } else {
                    directsKept.increment();
                    send(session, dm);
                    if (directs.reachesOtherNodes() && sessionsOf(dm.to()).isEmpty()) {
                        // Resumed on another node while this was stored, its inbox read maybe done: sent live
                        // too (the same id twice at worst; clients show an id once). Nobody takes it if not.
                        directs.send(dm);
                    }
                }
            });
        });
    }

    /** A direct message is in a kept session's inbox (in the inbox's seq order): given now if it resumed here. */
    private void storedForResume(String userId, String resumeKey, ServerMessage.Chat message) {
        Session live = sessionOf(userId, resumeKey);
        if (live == null) {
            return; // still away (its resume reads it), or gone
        }
        onLoop(live, "a kept direct message", () -> {
            Inbox inbox = live.inbox();
            if (inbox != null) {
                give(live, inbox.stored(message));
            }
        });
    }

    /**
     * Moves a kept session's rooms to its new connection: the new one becomes the member (held: the room's live
     * messages are kept for it until it catches the room up), then the dropped one stops being one. The rooms see
     * neither a join nor a leave.
     */
    private void reattach(Session session, DetachedSessions.Detached kept) {
        for (String room : kept.rooms()) {
            session.rooms().add(room);
            session.hold(room);
            rooms.join(room, session.channel(), true);
            presence.add(room, memberKey(session), session.user());
            rooms.leave(room, kept.channel());
            presence.remove(room, kept.memberKey());
        }
    }

    /** A fresh resume token for the session, or {@code null} when it has none (resume off, or dialect 1). */
    private String newToken(Session session) {
        if (tokens == null || session.dialect() != Dialect.V2) {
            return null;
        }
        session.tokenIssuedAt(System.currentTimeMillis());
        return tokens.issue(session.id(), session.username(), session.resumeKey(), session.inboxGiven(),
                tokenLifetime());
    }

    /**
     * A token lives twice the window and is replaced once half the window old (checked every quarter window): so the
     * one a client holds when its connection drops is valid for at least the window after that.
     */
    private Duration tokenLifetime() {
        return config.resumeWindow().multipliedBy(2);
    }

    private Duration refreshPeriod() {
        long quarter = config.resumeWindow().toMillis() / 4;
        return Duration.ofMillis(Math.max(250, Math.min(60_000, quarter)));
    }

    /** Sends a fresh token to every session whose token is half a window old; runs on the resume timer. */
    private void refreshTokens() {
        try {
            long due = System.currentTimeMillis() - config.resumeWindow().toMillis() / 2;
            for (Session session : sessions()) {
                if (session.dialect() == Dialect.V2 && session.tokenIssuedAt() != 0 && session.tokenIssuedAt() <= due) {
                    session.channel().eventLoop().execute(() -> sendToken(session));
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("resume token refresh failed", e);
        } finally {
            detached.schedule(this::refreshTokens, refreshPeriod());
        }
    }

    private void sendToken(Session session) {
        String token = newToken(session);
        if (token != null) {
            send(session, new ServerMessage.Token(token));
        }
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
        if (!forGood && detach(session)) {
            return;
        }
        // remove(id, session): a user signed in twice shares one id; the other connection stays mapped.
        if (!forget(session) && session.rooms().isEmpty()) {
            return;
        }
        leaveAll(session.channel(), memberKey(session), List.copyOf(session.rooms()), session.user());
        session.rooms().clear();
        LOG.debug("[{}] disconnected {}", session.channel().id(), session.id());
    }

    /**
     * Adds the session to those its id reaches (a user signed in from several tabs has one each); the relay hears of
     * the user's first session here inside the same update, so its subscriptions follow the map in order.
     */
    private void attach(Session session) {
        sessions.compute(session.id(), (id, previous) -> {
            if (previous == null) {
                directs.userChanged(id, true);
                return List.of(session);
            }
            List<Session> more = new java.util.ArrayList<>(previous.size() + 1);
            more.addAll(previous);
            more.add(session);
            return List.copyOf(more);
        });
        connected.incrementAndGet();
    }

    /**
     * Unmaps the session; its id keeps reaching the user's other connections, if any. A detached session is unmapped
     * too, so direct messages to a user with no connection get {@code no_such_user} on every node.
     *
     * @return whether it was mapped
     */
    private boolean forget(Session session) {
        boolean[] removed = new boolean[1];
        sessions.computeIfPresent(session.id(), (id, current) -> {
            if (!current.contains(session)) {
                return current;
            }
            removed[0] = true;
            if (current.size() == 1) {
                directs.userChanged(id, false);
                return null;
            }
            return current.stream().filter(s -> s != session).toList();
        });
        if (removed[0]) {
            connected.decrementAndGet();
        }
        return removed[0];
    }

    /** Keeps a dropped session for a resume; {@code false} when it cannot be kept (resume off, dialect 1, full). */
    private boolean detach(Session session) {
        if (detached == null || session.dialect() != Dialect.V2) {
            return false;
        }
        DetachedSessions.Detached d = new DetachedSessions.Detached(session.resumeKey(), session.id(),
                session.username(), session.channel(), memberKey(session), session.rooms());
        if (!detached.keep(d, this::expire)) {
            LOG.debug("[{}] {} sessions kept for a resume already (--max-detached-sessions); {} ends now",
                    session.channel().id(), config.maxDetachedSessions(), session.id());
            return false;
        }
        forget(session);
        away.away(session.id(), session.resumeKey(), java.time.Instant.now().plus(config.resumeWindow()));
        LOG.debug("[{}] dropped; {} kept for a resume", session.channel().id(), session.id());
        return true;
    }

    /**
     * A kept session's window passed without a resume here: its rooms get the usual leave notices now, except those
     * that still list its user through another connection (another tab, or resumed on another node whose takeover this
     * node missed, its Pub/Sub connection down at the time: the user has not left).
     */
    private void expire(DetachedSessions.Detached d) {
        away.back(d.id(), d.resumeKey());
        try {
            d.channel().eventLoop().execute(() -> {
                leaveAll(d.channel(), d.memberKey(), d.rooms(), new ServerMessage.User(d.id(), d.username()));
                LOG.debug("[{}] resume window of {} passed", d.channel().id(), d.id());
            });
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            LOG.debug("[{}] event loop stopped before the resume window of {} passed", d.channel().id(), d.id());
        }
    }

    /**
     * Takes a connection out of rooms, then announces it: whoever reads "left" no longer finds the user anywhere. A
     * room that still lists the user through another connection (another tab, on any node) is not told: the user is
     * still there, and is announced as left when the last connection goes.
     */
    private void leaveAll(Channel channel, String memberKey, Collection<String> left, ServerMessage.User user) {
        List<String> announce = new ArrayList<>();
        for (String room : left) {
            rooms.leave(room, channel);
            int remaining = membersLeft(room);
            presence.remove(room, memberKey);
            if (remaining > 0 && remaining < config.announceLimit() && !presence.includes(room, user.id())) {
                announce.add(room);
            }
        }
        String now = Timestamps.now();
        for (String room : announce) {
            publish(room, new ServerMessage.Notice(ServerMessage.NoticeKind.LEAVE, room, user, null, now), null,
                    RoomEvent.Exclusion.NONE);
        }
    }

    /**
     * Stops acting on client messages: every later one is dropped, so the server accepts nothing that its
     * drain could not deliver. Called once on shutdown, before the close frames are queued.
     */
    public void drain() {
        draining = true;
    }

    /**
     * Acts on one decoded message.
     *
     * @param session the sender
     * @param message what it sent
     */
    public void handle(Session session, ClientMessage message) {
        if (draining) {
            return;
        }
        if (message instanceof ClientMessage.Chat m) {
            chat(session, m);
        } else if (message instanceof ClientMessage.Join m) {
            joinChecked(session, m);
        } else if (message instanceof ClientMessage.Resume m) {
            resume(session, m);
        } else if (message instanceof ClientMessage.HistoryRequest m) {
            historyPage(session, m);
        } else if (message instanceof ClientMessage.Leave m) {
            leave(session, m);
        } else if (message instanceof ClientMessage.SetUsername m) {
            rename(session, m.username());
        } else if (message instanceof ClientMessage.Who m) {
            if (requireMember(session, m.room(), m.ref())) {
                who(session, m);
            }
        } else if (message instanceof ClientMessage.ListRooms) {
            send(session, new ServerMessage.RoomList(rooms.list(MAX_ROOMS_LISTED)));
        } else if (message instanceof ClientMessage.DirectMessage m) {
            direct(session, m);
        } else if (message instanceof ClientMessage.Invalid m) {
            countRejection(m.code());
            error(session, m.code(), m.message(), m.ref());
        } else if (message instanceof ClientMessage.Ignored m) {
            LOG.debug("[{}] ignored message of type {}", session.channel().id(), m.type());
        }
        // Room events this message caused for members on the sender's own loop are written now, before the
        // loop reads the sender's next message: the sender sees its own echo before any reply to what it sent
        // next (an error, a rate limit), as a client expects.
        rooms.drainOwed(session.channel().eventLoop());
    }

    private void chat(Session session, ClientMessage.Chat m) {
        String room = m.room() != null ? m.room() : Limits.DEFAULT_ROOM;
        if (!requireMember(session, room, m.ref())) {
            return;
        }
        ServerMessage.Chat draft = new ServerMessage.Chat(room, nextMessageId(), 0, session.user(), m.content(),
                Timestamps.now());
        // The history decides the room's order: it runs the publish step in seq order (on its writer thread,
        // or on this thread under its room lock in memory), so every member's loop receives the room's messages
        // in seq order whichever loops the senders are on. Nothing is delivered unless it was stored.
        String clientMsgId = session.dialect() == Dialect.TUTORIAL ? null : m.clientMsgId();
        history.append(draft, clientMsgId, session.id(), appended -> {
            if (!appended.duplicate()) {
                publish(room, appended.message(), session.id(), RoomEvent.Exclusion.SENDER_IF_TUTORIAL);
            }
        }).whenComplete((appended, failure) -> {
            if (failure != null) {
                LOG.debug("[{}] message to {} not stored: {}", session.channel().id(), room, failure.toString());
                metrics.rejected(ServerMetrics.Reason.UNAVAILABLE);
                error(session, ErrorCode.UNAVAILABLE, "The server cannot store messages right now; try again",
                        m.ref());
            } else if (clientMsgId != null) {
                ServerMessage.Chat stored = appended.message();
                // Behind its echo in the room's queue for the sender's loop: written after it, in the same flush.
                rooms.sendAfterEvents(room, session.channel(), new ServerMessage.Ack(room, clientMsgId, stored.id(),
                        stored.seq(), appended.duplicate()));
            }
        });
    }

    private void joinChecked(Session session, ClientMessage.Join m) {
        if (!session.rooms().contains(m.room()) && session.rooms().size() >= config.maxRoomsPerConnection()) {
            metrics.rejected(ServerMetrics.Reason.TOO_MANY_ROOMS);
            error(session, ErrorCode.TOO_MANY_ROOMS, "You are in " + session.rooms().size()
                    + " rooms, the most allowed; leave one first", m.ref());
        } else {
            join(session, m);
        }
    }

    /**
     * Catches up every listed room in one exchange: each is answered as a {@code join} with its {@code since} is (a
     * kept room without a join notice); kept rooms it does not list are caught up as a plain join would be.
     */
    private void resume(Session session, ClientMessage.Resume m) {
        java.util.Set<String> named = new java.util.HashSet<>();
        for (ClientMessage.Join j : m.rooms()) {
            if (named.add(j.room())) {
                joinChecked(session, j);
            }
        }
        for (String room : List.copyOf(session.held())) {
            join(session, new ClientMessage.Join(room, m.ref()));
        }
    }

    private void join(Session session, String room) {
        join(session, new ClientMessage.Join(room, null));
    }

    private void join(Session session, ClientMessage.Join m) {
        String room = m.room();
        if (session.release(room)) {
            // Kept across a resume and held since: its members saw no leave, so they see no join; catch it up.
            send(session, firstPage(room, m.ref()));
            if (m.since() != null || config.historyOnJoin() > 0) {
                catchUp(session, m);
            } else {
                rooms.catchUp(room, session.channel(), 0, () -> { });
            }
            return;
        }
        if (!session.rooms().add(room)) {
            send(session, firstPage(room, m.ref()));
            return;
        }
        // A joiner is held (the room's live messages kept for it) until its history is written, then gets what
        // was delivered meanwhile past the history's last seq: no gap and no duplicate at the boundary.
        boolean catchUp = m.since() != null || config.historyOnJoin() > 0;
        int members = rooms.join(room, session.channel(), catchUp);
        boolean announce = members <= config.announceLimit();
        // Asked before the add: of two connections of one user joining at once here, one at least is announced.
        boolean listed = announce && !session.rejoins() && presence.includes(room, session.id());
        presence.add(room, memberKey(session), session.user());
        // Announced before the joiner hears anything back, so whoever joins after it learns of it is a member
        // before this notice is queued (and is not told of a join that came before its own); a re-join, whose
        // answer may need Redis, is announced when it comes (at once, on this loop, when presence knows already).
        if (announce && session.rejoins()) {
            announceRejoin(session, room);
        } else if (announce && !listed) {
            announceJoin(session, room);
        }
        if (session.dialect() != Dialect.TUTORIAL) {
            // presence has no tutorial form: skip listing every member (O(room size) per join) for nothing
            send(session, firstPage(room, m.ref()));
        }
        if (catchUp) {
            catchUp(session, m);
        }
    }

    private void announceJoin(Session session, String room) {
        publish(room, new ServerMessage.Notice(ServerMessage.NoticeKind.JOIN, room, session.user(), null,
                Timestamps.now()), session.id(), RoomEvent.Exclusion.SENDER);
    }

    /**
     * Announces a re-join (see {@link Session#rejoin}) only if presence says the user was not listed in the room
     * before it: not through another connection, on any node, nor as the session its old node just handed over
     * (which its old node removes from the room's presence without a leave). Answered on the session's loop; not
     * announced if the session left the room meanwhile, or another of its joins of it was answered first.
     */
    private void announceRejoin(Session session, String room) {
        session.awaitListed(room);
        presence.listed(room, session.id(), memberKey(session), session.resumeKey()).whenComplete((listed, failure) -> {
            Runnable answer = () -> {
                if (session.listedAnswered(room) && session.rooms().contains(room) && !Boolean.TRUE.equals(listed)) {
                    announceJoin(session, room);
                }
            };
            if (session.channel().eventLoop().inEventLoop()) {
                answer.run();
                return;
            }
            try {
                session.channel().eventLoop().execute(answer);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                LOG.debug("[{}] event loop stopped before presence answered a re-join of {}", session.channel().id(),
                        room);
            }
        });
    }

    /**
     * Reads what a joiner is shown — every message after {@code since} when it resumes with the room's epoch and
     * all of them are kept (at most {@code --recovery-limit}), else the room's last {@code --history-on-join} —
     * and ends its hold with it. Recovery is all or nothing: a partial list is never presented as complete.
     */
    private void catchUp(Session session, ClientMessage.Join m) {
        String room = m.room();
        CompletionStage<Shown> shown;
        if (m.since() != null && m.epoch() != null) {
            // broker.ready: with Redis, the room's live messages reach this node before its history is read.
            shown = broker.ready(room).thenCompose(ready -> history.after(room, m.since(), config.recoveryLimit()))
                    .thenCompose(page -> {
                if (page.complete() && page.epoch().equals(m.epoch())) {
                    return CompletableFuture.completedFuture(new Shown(new ServerMessage.History(room, page.epoch(),
                            page.messages(), false, true, m.ref()), page.lastSeq()));
                }
                return recent(room, Boolean.FALSE, m.ref());
            });
        } else {
            shown = broker.ready(room).thenCompose(ready -> recent(room, m.since() != null ? Boolean.FALSE : null,
                    m.ref()));
        }
        shown.whenComplete((answer, failure) ->
                rooms.catchUp(room, session.channel(), answer == null ? 0 : answer.upToSeq(), () -> {
                    if (failure != null) {
                        LOG.debug("[{}] history of {} not read: {}", session.channel().id(), room, failure.toString());
                        error(session, ErrorCode.UNAVAILABLE, "The history of '" + room + "' cannot be read now",
                                m.ref());
                    } else if (session.dialect() == Dialect.TUTORIAL) {
                        answer.history().messages().forEach(chat -> send(session, chat));
                    } else {
                        send(session, answer.history());
                    }
                }));
    }

    /** The room's last messages as a history answer. */
    private CompletionStage<Shown> recent(String room, Boolean recovered, String ref) {
        return history.recent(room, config.historyOnJoin()).thenApply(page -> new Shown(
                new ServerMessage.History(room, page.epoch(), page.messages(), page.hasMore(), recovered, ref),
                page.lastSeq()));
    }

    /** The first page of a room's members: what a joiner gets, bounded however big the room. */
    private ServerMessage.Presence firstPage(String room, String ref) {
        Presence.Page page = presence.page(room, null, config.presencePage());
        return new ServerMessage.Presence(room, page.users(), page.total(), page.next(), ref);
    }

    /** Answers {@code who} with the page it asks for. */
    private void who(Session session, ClientMessage.Who m) {
        int limit = m.limit() > 0 ? m.limit() : config.presencePage();
        Presence.Page page;
        try {
            page = presence.page(m.room(), m.cursor(), limit);
        } catch (IllegalArgumentException badCursor) {
            error(session, ErrorCode.BAD_REQUEST, "Field 'cursor' must be the 'next' of an earlier presence", m.ref());
            return;
        }
        send(session, new ServerMessage.Presence(m.room(), page.users(), page.total(), page.next(), m.ref()));
    }

    /**
     * Who stays in a room, on every node, once a member about to be removed from presence is gone: with shared
     * presence the last member on this node leaving a room others are in is announced too (this node's own count
     * would say nobody is left to tell, and a shared presence forgets a room this node has no members in).
     */
    private int membersLeft(String room) {
        return Math.max(0, presence.page(room, null, 1).total() - 1);
    }

    /** A connection's key in presence: unique on this node, one per connection of a user. */
    private static String memberKey(Session session) {
        return session.channel().id().asLongText();
    }

    /** Pages back through a joined room's history. */
    private void historyPage(Session session, ClientMessage.HistoryRequest m) {
        if (!requireMember(session, m.room(), m.ref())) {
            return;
        }
        history.before(m.room(), m.before(), m.limit()).whenComplete((page, failure) -> {
            if (failure != null) {
                error(session, ErrorCode.UNAVAILABLE, "The history of '" + m.room() + "' cannot be read now", m.ref());
            } else {
                send(session, new ServerMessage.History(m.room(), page.epoch(), page.messages(), page.hasMore(),
                        null, m.ref()));
            }
        });
    }

    /**
     * What a joiner is shown, and the room's last seq it covers: live copies of messages up to it are left out.
     *
     * @param history the answer
     * @param upToSeq the room's last seq when the history was read
     */
    private record Shown(ServerMessage.History history, long upToSeq) {
    }

    private void leave(Session session, ClientMessage.Leave m) {
        if (!requireMember(session, m.room(), m.ref())) {
            return;
        }
        session.rooms().remove(m.room());
        session.release(m.room());
        rooms.leave(m.room(), session.channel());
        int left = membersLeft(m.room());
        presence.remove(m.room(), memberKey(session));
        ServerMessage.Notice notice = new ServerMessage.Notice(ServerMessage.NoticeKind.LEAVE, m.room(),
                session.user(), null, Timestamps.now());
        send(session, notice);
        // Asked after the remove: of two connections of one user leaving at once here, one at least is announced.
        if (left > 0 && left < config.announceLimit() && !presence.includes(m.room(), session.id())) {
            publish(m.room(), notice, session.id(), RoomEvent.Exclusion.SENDER);
        }
    }

    private void rename(Session session, String username) {
        String old = session.username();
        session.username(username);
        ServerMessage.User user = session.user();
        // The token carries the name: a resume after this keeps the new one.
        sendToken(session);
        if (session.rooms().isEmpty()) {
            send(session, new ServerMessage.Notice(ServerMessage.NoticeKind.RENAME, null, user, old, Timestamps.now()));
            return;
        }
        String now = Timestamps.now();
        for (String room : session.rooms()) {
            presence.rename(room, memberKey(session), user);
            publish(room, new ServerMessage.Notice(ServerMessage.NoticeKind.RENAME, room, user, old, now),
                    session.id(), RoomEvent.Exclusion.NONE);
        }
    }

    /**
     * Delivers a direct message to the recipient's session on this node, or else through the relay to its node
     * (none without {@code --redis}): the sender gets its echo once a node took it, {@code no_such_user} when none
     * had the user, {@code unavailable} when it could not be sent.
     */
    private void direct(Session session, ClientMessage.DirectMessage m) {
        List<Session> to = sessionsOf(m.to());
        List<DetachedSessions.Detached> away = to.isEmpty() && detached != null ? detached.ofUser(m.to()) : List.of();
        // No id is longer than a token's sub: such a dm is not worth a round trip to Redis.
        if (to.isEmpty() && away.isEmpty()
                && (!directs.reachesOtherNodes() || m.to().length() > Identity.MAX_SUBJECT_LENGTH)) {
            noSuchUser(session, m);
            return;
        }
        ServerMessage.Direct dm = new ServerMessage.Direct(nextMessageId(), session.user(), m.to(), m.content(),
                Timestamps.now());
        if (!away.isEmpty()) {
            List<String> keys = new ArrayList<>(away.size());
            for (DetachedSessions.Detached d : away) {
                d.inboxUsed().set(true); // before the append: a resume that finds it unset gets the message live
                keys.add(d.resumeKey());
            }
            keepForResume(session, dm, m, keys);
            return;
        }
        if (!to.isEmpty()) {
            for (Session connection : to) { // every tab of a user signed in more than once
                send(connection, dm);
            }
            if (!to.contains(session)) {
                send(session, dm);
            }
            return;
        }
        // Answered on the relay's threads in the order sent, and queued on the sender's loop in that order; never
        // run inline here, even when the answer is already in, or it would pass the answers still queued before it.
        directs.send(dm).whenComplete((receivers, failure) -> {
            onLoop(session, "a direct message's answer", () -> relayedAnswer(session, m, dm, receivers, failure));
        });
    }

    private void relayedAnswer(Session session, ClientMessage.DirectMessage m, ServerMessage.Direct dm,
                               Long receivers, Throwable failure) {
        if (failure != null) {
            LOG.debug("[{}] direct message not relayed: {}", session.channel().id(), failure.toString());
            metrics.rejected(ServerMetrics.Reason.UNAVAILABLE);
            error(session, ErrorCode.UNAVAILABLE, "The server cannot deliver direct messages right now; try again",
                    m.ref());
        } else if (receivers == 0) {
            awayElsewhere(session, m, dm);
        } else {
            send(session, dm);
        }
    }

    /**
     * No node has the recipient attached: if a node keeps a session of it for a resume, the message is kept for it as
     * for one kept here ({@link #keepForResume}); else {@code no_such_user}. On the sender's loop.
     */
    private void awayElsewhere(Session session, ClientMessage.DirectMessage m, ServerMessage.Direct dm) {
        away.awayKeys(m.to()).whenComplete((keys, failure) -> {
            onLoop(session, "a direct message's answer", () -> {
                if (failure != null) {
                    LOG.debug("[{}] sessions away not read: {}", session.channel().id(), failure.toString());
                    metrics.rejected(ServerMetrics.Reason.UNAVAILABLE);
                    error(session, ErrorCode.UNAVAILABLE,
                            "The server cannot deliver direct messages right now; try again", m.ref());
                } else if (keys.isEmpty()) {
                    noSuchUser(session, m);
                } else {
                    keepForResume(session, dm, m, keys);
                }
            });
        });
    }

    /**
     * Another node resumed a session this node still holds; it ends here without notices (its user is back, on the
     * other node, which lists it in presence itself; a leave announced now could arrive after its join there). An
     * attached session's connection is closed 4009; a detached one's kept rooms, presence entries and resume window
     * go, so its window's end announces nothing. Its presence entries are handed over ({@link Presence#handOver}),
     * not just removed: the other node, re-joining the session's rooms, finds the user was listed there and
     * announces no join either. Called on the relay's thread; never blocks.
     *
     * @param userId    the session's client id
     * @param resumeKey its resume key
     */
    public void resumedElsewhere(String userId, String resumeKey) {
        Session live = sessionOf(userId, resumeKey);
        if (live == null) {
            // Detached here, if at all: a dropping session is kept before it is unmapped, so it is in one or the other.
            endDetachedSilently(resumeKey);
            return;
        }
        try {
            live.channel().eventLoop().execute(() -> {
                if (live.end()) {
                    forget(live);
                    for (String room : live.rooms()) {
                        rooms.leave(room, live.channel());
                        presence.handOver(room, memberKey(live), resumeKey);
                    }
                    live.rooms().clear();
                    live.releaseAll();
                    takenOverElsewhere.increment();
                    LOG.debug("[{}] {} resumed on another node", live.channel().id(), userId);
                } else {
                    // It dropped before this ran (its disconnect ran first on this loop) and may be detached now.
                    endDetachedSilently(resumeKey);
                }
                live.channel().writeAndFlush(new io.netty.handler.codec.http.websocketx.CloseWebSocketFrame(
                        dev.wschat.protocol.CloseCodes.SESSION_RESUMED, "Session resumed elsewhere"))
                        .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            });
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            LOG.debug("[{}] event loop stopped before a takeover from another node", live.channel().id());
        }
    }

    /**
     * Ends the detached session kept under {@code resumeKey}, if any, as its window's end would but without the leave
     * notices: out of its rooms and their presence (only its own entries, handed over to the resume: member keys are
     * per connection and node, so the resuming node's entries stay whichever lands first), its expiry cancelled.
     */
    private void endDetachedSilently(String resumeKey) {
        DetachedSessions.Detached d = detached == null ? null : detached.claim(resumeKey);
        if (d == null) {
            return;
        }
        away.back(d.id(), d.resumeKey());
        takenOverElsewhere.increment();
        try {
            d.channel().eventLoop().execute(() -> {
                for (String room : d.rooms()) {
                    rooms.leave(room, d.channel());
                    presence.handOver(room, d.memberKey(), resumeKey);
                }
                LOG.debug("[{}] {}, detached here, resumed on another node", d.channel().id(), d.id());
            });
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            LOG.debug("[{}] event loop stopped before a detached session resumed elsewhere ended", d.channel().id());
        }
    }

    private void noSuchUser(Session session, ClientMessage.DirectMessage m) {
        error(session, ErrorCode.NO_SUCH_USER, "No connected user has the id '" + abbreviate(m.to()) + "'", m.ref());
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
        boolean delivered = false;
        for (Session to : sessionsOf(dm.to())) {
            try {
                to.channel().eventLoop().execute(() -> send(to, dm));
                delivered = true;
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                LOG.debug("[{}] event loop stopped before a relayed direct message", to.channel().id());
            }
        }
        return delivered;
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

    private boolean requireMember(Session session, String room, String ref) {
        if (session.rooms().contains(room)) {
            return true;
        }
        error(session, ErrorCode.NOT_IN_ROOM, "You are not in room '" + room + "'; join it first", ref);
        return false;
    }

    private void error(Session session, ErrorCode code, String text, String ref) {
        if (session.dialect() == Dialect.TUTORIAL) {
            send(session, new ServerMessage.SystemText(text, Timestamps.now()));
        } else {
            send(session, new ServerMessage.Error(code, text, ref));
        }
    }

    private void publish(String room, ServerMessage message, String senderId, RoomEvent.Exclusion exclusion) {
        broker.publish(new RoomEvent(room, message, senderId, exclusion));
    }

    /**
     * Writes one message to one session, encoded for its dialect; skipped when the dialect has no form of it.
     *
     * @param session the recipient
     * @param message the message
     */
    public void send(Session session, ServerMessage message) {
        TextWebSocketFrame frame = frame(session, message);
        if (frame != null) {
            session.channel().writeAndFlush(frame, session.channel().voidPromise());
        }
    }

    /** Writes one message to one session without flushing (a {@link #send} or a flush follows). */
    private void write(Session session, ServerMessage message) {
        TextWebSocketFrame frame = frame(session, message);
        if (frame != null) {
            session.channel().write(frame, session.channel().voidPromise());
        }
    }

    /** The message as a frame for the session, or {@code null} when it takes no data or has no form of it. */
    private TextWebSocketFrame frame(Session session, ServerMessage message) {
        if (!CloseGuard.acceptsData(session.channel())) {
            return null; // a Close frame went out: no data frame may follow it (RFC 6455 §5.5.1)
        }
        String text = codec.encode(message, session.dialect());
        return text == null ? null : new TextWebSocketFrame(text);
    }

    private String nextMessageId() {
        return nodePrefix + messageIds.incrementAndGet();
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
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
