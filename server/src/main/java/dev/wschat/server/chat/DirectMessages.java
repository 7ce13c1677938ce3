package dev.wschat.server.chat;

import dev.wschat.protocol.ClientMessage;
import dev.wschat.protocol.ErrorCode;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.protocol.Timestamps;
import dev.wschat.server.auth.Identity;
import dev.wschat.server.broker.AwayRegistry;
import dev.wschat.server.broker.DirectRelay;
import dev.wschat.server.history.History;
import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.server.presence.Presence;
import io.micrometer.core.instrument.Counter;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Direct messages: given to the recipient's sessions here, relayed to its node, or, for a user whose sessions are
 * all kept for a resume (here or on another node), stored in each kept session's inbox ({@link Inbox}) and given
 * when it resumes.
 */
final class DirectMessages {
    private static final Logger LOG = LogManager.getLogger(DirectMessages.class);

    private final ChatSettings config;
    private final Sessions sessions;
    private final Resumption resumption;
    private final History history;
    private final Presence presence;
    private final DirectRelay directs;
    private final AwayRegistry away;
    private final Replies replies;
    private final ServerMetrics metrics;
    private final MessageIds ids;
    /** Direct messages kept for users away (their sessions kept for a resume), delivered when they resume. */
    private final Counter directsKept;

    DirectMessages(ChatSettings config, Sessions sessions, Resumption resumption, History history, Presence presence,
                   DirectRelay directs, AwayRegistry away, Replies replies, ServerMetrics metrics, MessageIds ids) {
        this.config = config;
        this.sessions = sessions;
        this.resumption = resumption;
        this.history = history;
        this.presence = presence;
        this.directs = directs;
        this.away = away;
        this.replies = replies;
        this.metrics = metrics;
        this.ids = ids;
        this.directsKept = metrics.counter("wschat.dm.kept",
                "Direct messages stored for users away (kept for a resume), given when they resume");
    }

    /**
     * Delivers a direct message to the recipient's session on this node, or else through the relay to its node
     * (none without {@code --redis}): the sender gets its echo once a node took it, {@code no_such_user} when none
     * had the user, {@code unavailable} when it could not be sent.
     */
    void send(Session session, ClientMessage.DirectMessage m) {
        if (!allowed(session, m.to())) {
            metrics.rejected(ServerMetrics.Reason.FORBIDDEN);
            replies.error(session, ErrorCode.FORBIDDEN, config.dmPolicy() == DmPolicy.NONE
                    ? "Direct messages are off on this server"
                    : "Direct messages go only to someone in a room you are in", m.ref());
            return;
        }
        List<Session> to = sessions.of(m.to());
        List<DetachedSessions.Detached> kept = to.isEmpty() ? resumption.keptOf(m.to()) : List.of();
        // No id is longer than a token's sub: such a dm is not worth a round trip to Redis.
        if (to.isEmpty() && kept.isEmpty()
                && (!directs.reachesOtherNodes() || m.to().length() > Identity.MAX_SUBJECT_LENGTH)) {
            noSuchUser(session, m);
            return;
        }
        ServerMessage.Direct dm = new ServerMessage.Direct(ids.next(), session.user(), m.to(), m.content(),
                Timestamps.now());
        if (!kept.isEmpty()) {
            List<String> keys = new ArrayList<>(kept.size());
            for (DetachedSessions.Detached d : kept) {
                d.inboxUsed().set(true); // before the append: a resume that finds it unset gets the message live
                keys.add(d.resumeKey());
            }
            keepForResume(session, dm, m, keys);
            return;
        }
        if (!to.isEmpty()) {
            for (Session connection : to) { // every tab of a user signed in more than once
                replies.send(connection, dm);
            }
            if (!to.contains(session)) {
                replies.send(session, dm);
            }
            return;
        }
        // Answered on the relay's threads in the order sent, and queued on the sender's loop in that order; never
        // run inline here, even when the answer is already in, or it would pass the answers still queued before it.
        directs.send(dm).whenComplete((receivers, failure) -> {
            Loops.run(session.channel(), "a direct message's answer",
                    () -> relayedAnswer(session, m, dm, receivers, failure));
        });
    }

    /**
     * Whether {@code --dm-policy} lets the sender write to {@code to}: with {@code shared-room}, the recipient must be
     * listed in one of the sender's rooms (this node's view of a room's presence covers every node, and keeps a user
     * away within the resume window). A user connected nowhere shares no room: refused as {@code forbidden}, not
     * {@code no_such_user}, so the policy tells nobody who is connected.
     */
    private boolean allowed(Session session, String to) {
        return switch (config.dmPolicy()) {
            case ANYONE -> true;
            case NONE -> false;
            case SHARED_ROOM -> session.id().equals(to)
                    || session.rooms().stream().anyMatch(room -> presence.includes(room, to));
        };
    }

    private void relayedAnswer(Session session, ClientMessage.DirectMessage m, ServerMessage.Direct dm,
                               Long receivers, Throwable failure) {
        if (failure != null) {
            LOG.debug("[{}] direct message not relayed: {}", session.channel().id(), failure.toString());
            metrics.rejected(ServerMetrics.Reason.UNAVAILABLE);
            replies.error(session, ErrorCode.UNAVAILABLE,
                    "The server cannot deliver direct messages right now; try again", m.ref());
        } else if (receivers == 0) {
            awayElsewhere(session, m, dm);
        } else {
            replies.send(session, dm);
        }
    }

    /**
     * No node has the recipient attached: if a node keeps a session of it for a resume, the message is kept for it as
     * for one kept here ({@link #keepForResume}); else {@code no_such_user}. On the sender's loop.
     */
    private void awayElsewhere(Session session, ClientMessage.DirectMessage m, ServerMessage.Direct dm) {
        away.awayKeys(m.to()).whenComplete((keys, failure) -> {
            Loops.run(session.channel(), "a direct message's answer", () -> {
                if (failure != null) {
                    LOG.debug("[{}] sessions away not read: {}", session.channel().id(), failure.toString());
                    metrics.rejected(ServerMetrics.Reason.UNAVAILABLE);
                    replies.error(session, ErrorCode.UNAVAILABLE,
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
     * A direct message to a user whose connections all dropped while their sessions are kept for a resume: it is
     * stored in each kept session's inbox, and the sender gets its echo once every one of them has it (then a restart
     * or {@code kill -9} cannot lose it); {@code unavailable} when the store cannot take it. A session that resumed
     * while it was being stored gets it live, once.
     */
    private void keepForResume(Session session, ServerMessage.Direct dm, ClientMessage.DirectMessage m,
                               List<String> resumeKeys) {
        CompletableFuture<?>[] stored = new CompletableFuture<?>[resumeKeys.size()];
        for (int i = 0; i < stored.length; i++) {
            String resumeKey = resumeKeys.get(i);
            ServerMessage.Chat draft = new ServerMessage.Chat(Inbox.room(resumeKey), dm.id(), 0, dm.from(),
                    dm.message(), dm.timestamp());
            stored[i] = history.append(draft, null, session.id(), a -> storedForResume(dm.to(), resumeKey,
                    a.message())).toCompletableFuture();
        }
        CompletableFuture.allOf(stored).whenComplete((done, failure) -> {
            Loops.run(session.channel(), "a kept direct message's answer", () -> {
                if (failure != null) {
                    LOG.debug("[{}] direct message not kept: {}", session.channel().id(), failure.toString());
                    metrics.rejected(ServerMetrics.Reason.UNAVAILABLE);
                    replies.error(session, ErrorCode.UNAVAILABLE,
                            "The server cannot store direct messages right now; try again", m.ref());
                } else {
                    directsKept.increment();
                    replies.send(session, dm);
                    if (directs.reachesOtherNodes() && sessions.of(dm.to()).isEmpty()) {
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
        Session live = sessions.of(userId, resumeKey);
        if (live == null) {
            return; // still away (its resume reads it), or gone
        }
        Loops.run(live.channel(), "a kept direct message", () -> {
            Inbox inbox = live.inbox();
            if (inbox != null) {
                give(live, inbox.stored(message));
            }
        });
    }

    private void noSuchUser(Session session, ClientMessage.DirectMessage m) {
        replies.error(session, ErrorCode.NO_SUCH_USER, "No connected user has the id '" + abbreviate(m.to()) + "'",
                m.ref());
    }

    /**
     * Delivers a direct message relayed from another node to the recipient's sessions here, on their event loops (in
     * the order relayed).
     *
     * @return whether the recipient had a session here
     */
    boolean deliverRelayed(ServerMessage.Direct dm) {
        boolean delivered = false;
        for (Session to : sessions.of(dm.to())) {
            if (Loops.run(to.channel(), "a relayed direct message", () -> replies.send(to, dm))) {
                delivered = true;
            }
        }
        return delivered;
    }

    /**
     * Whether a session resumed by token may have direct messages kept for it: when none of its rooms was kept here
     * (it was away elsewhere, or its window passed), one was kept here while it was away, or another node may have
     * kept one. Asked once it is attached: a direct message kept after that is given live.
     */
    boolean mayHaveKept(DetachedSessions.Detached kept) {
        return kept == null || kept.inboxUsed().get() || directs.reachesOtherNodes();
    }

    /**
     * Opens a resumed session's inbox: reads the direct messages kept for it while it was away (on this node or
     * another) when there may be some, and gives them; else it only stops holding back the ones stored meanwhile.
     */
    void openInbox(Session session, boolean read) {
        Inbox inbox = session.inbox();
        if (read) {
            history.after(Inbox.room(session.resumeKey()), inbox.given(), config.recoveryLimit())
                    .whenComplete((page, failure) -> {
                        if (failure != null) {
                            LOG.warn("[{}] the direct messages kept for {} cannot be read now: {}",
                                    session.channel().id(), session.id(), failure.toString());
                        }
                        Loops.run(session.channel(), "the kept direct messages", () -> give(session,
                                inbox.loaded(failure != null ? List.of() : page.messages())));
                    });
        } else if (inbox != null) {
            give(session, inbox.loaded(List.of()));
        }
    }

    /** Sends kept direct messages to their session, then a token that says they were given; on its event loop. */
    private void give(Session session, List<ServerMessage.Chat> kept) {
        if (kept.isEmpty()) {
            return;
        }
        for (ServerMessage.Chat m : kept) {
            replies.send(session, new ServerMessage.Direct(m.id(), m.from(), session.id(), m.message(),
                    m.timestamp()));
        }
        resumption.sendToken(session);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
