package dev.wschat.server.chat;

import dev.wschat.protocol.ClientMessage;
import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.ErrorCode;
import dev.wschat.protocol.Limits;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.protocol.Timestamps;
import dev.wschat.server.broker.Broker;
import dev.wschat.server.broker.RoomEvent;
import dev.wschat.server.history.History;
import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.server.presence.Presence;
import io.netty.channel.Channel;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Who is in which room: where a {@code join} is authorised, a joiner caught up (its history, its missed messages)
 * and announced, a room's members listed and its history paged, a member leaves, a rename is announced, and a
 * session's rooms move with it across a resume or go when it ends. Called on the session's event loop.
 */
final class RoomMembership {
    private static final Logger LOG = LogManager.getLogger(RoomMembership.class);

    private final ChatSettings config;
    private final RoomRegistry rooms;
    private final Broker broker;
    private final History history;
    private final Presence presence;
    private final Replies replies;
    private final ServerMetrics metrics;

    RoomMembership(ChatSettings config, RoomRegistry rooms, Broker broker, History history, Presence presence,
                   Replies replies, ServerMetrics metrics) {
        this.config = config;
        this.rooms = rooms;
        this.broker = broker;
        this.history = history;
        this.presence = presence;
        this.replies = replies;
        this.metrics = metrics;
    }

    /** A connection's key in presence: unique on this node, one per connection of a user. */
    static String memberKey(Session session) {
        return session.channel().id().asLongText();
    }

    /** Whether the session is in the room; else it gets {@code not_in_room}. */
    boolean requireMember(Session session, String room, String ref) {
        if (session.rooms().contains(room)) {
            return true;
        }
        replies.error(session, ErrorCode.NOT_IN_ROOM, "You are not in room '" + room + "'; join it first", ref);
        return false;
    }

    /** A client's {@code join}: admitted unless the connection is in the most rooms allowed already. */
    void join(Session session, ClientMessage.Join m) {
        if (!session.rooms().contains(m.room()) && session.rooms().size() >= config.maxRoomsPerConnection()) {
            metrics.rejected(ServerMetrics.Reason.TOO_MANY_ROOMS);
            replies.error(session, ErrorCode.TOO_MANY_ROOMS, "You are in " + session.rooms().size()
                    + " rooms, the most allowed; leave one first", m.ref());
        } else {
            enter(session, m);
        }
    }

    /** A new session enters the default room. */
    void joinDefault(Session session) {
        enter(session, new ClientMessage.Join(Limits.DEFAULT_ROOM, null));
    }

    /**
     * Catches up every listed room in one exchange: each is answered as a {@code join} with its {@code since} is (a
     * kept room without a join notice); kept rooms it does not list are caught up as a plain join would be.
     */
    void resume(Session session, ClientMessage.Resume m) {
        Set<String> named = new HashSet<>();
        for (ClientMessage.Join j : m.rooms()) {
            if (named.add(j.room())) {
                join(session, j);
            }
        }
        for (String room : List.copyOf(session.held())) {
            enter(session, new ClientMessage.Join(room, m.ref()));
        }
    }

    private void enter(Session session, ClientMessage.Join m) {
        String room = m.room();
        if (session.release(room)) {
            // Kept across a resume and held since: its members saw no leave, so they see no join; catch it up.
            replies.send(session, firstPage(room, m.ref()));
            if (m.since() != null || config.historyOnJoin() > 0) {
                catchUp(session, m);
            } else {
                rooms.catchUp(room, session.channel(), 0, () -> { });
            }
            return;
        }
        if (!session.rooms().add(room)) {
            replies.send(session, firstPage(room, m.ref()));
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
            replies.send(session, firstPage(room, m.ref()));
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
            } else {
                Loops.run(session.channel(), "presence answered a re-join of " + room, answer);
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
                        replies.error(session, ErrorCode.UNAVAILABLE, "The history of '" + room
                                + "' cannot be read now", m.ref());
                    } else if (session.dialect() == Dialect.TUTORIAL) {
                        answer.history().messages().forEach(chat -> replies.send(session, chat));
                    } else {
                        replies.send(session, answer.history());
                    }
                }));
    }

    /** The room's last messages as a history answer. */
    private CompletionStage<Shown> recent(String room, Boolean recovered, String ref) {
        return history.recent(room, config.historyOnJoin()).thenApply(page -> new Shown(
                new ServerMessage.History(room, page.epoch(), page.messages(), page.hasMore(), recovered, ref),
                page.lastSeq()));
    }

    /**
     * What a joiner is shown, and the room's last seq it covers: live copies of messages up to it are left out.
     *
     * @param history the answer
     * @param upToSeq the room's last seq when the history was read
     */
    private record Shown(ServerMessage.History history, long upToSeq) {
    }

    /** The first page of a room's members: what a joiner gets, bounded however big the room. */
    private ServerMessage.Presence firstPage(String room, String ref) {
        Presence.Page page = presence.page(room, null, config.presencePage());
        return new ServerMessage.Presence(room, page.users(), page.total(), page.next(), ref);
    }

    /** Answers a member's {@code who} with the page it asks for. */
    void who(Session session, ClientMessage.Who m) {
        int limit = m.limit() > 0 ? m.limit() : config.presencePage();
        Presence.Page page;
        try {
            page = presence.page(m.room(), m.cursor(), limit);
        } catch (IllegalArgumentException badCursor) {
            replies.error(session, ErrorCode.BAD_REQUEST, "Field 'cursor' must be the 'next' of an earlier presence",
                    m.ref());
            return;
        }
        replies.send(session, new ServerMessage.Presence(m.room(), page.users(), page.total(), page.next(), m.ref()));
    }

    /** Pages back through a member's room's history. */
    void historyPage(Session session, ClientMessage.HistoryRequest m) {
        history.before(m.room(), m.before(), m.limit()).whenComplete((page, failure) -> {
            if (failure != null) {
                replies.error(session, ErrorCode.UNAVAILABLE, "The history of '" + m.room() + "' cannot be read now",
                        m.ref());
            } else {
                replies.send(session, new ServerMessage.History(m.room(), page.epoch(), page.messages(),
                        page.hasMore(), null, m.ref()));
            }
        });
    }

    /** A member leaves a room: told, and the room told unless the user is still in it through another connection. */
    void leave(Session session, ClientMessage.Leave m) {
        session.rooms().remove(m.room());
        session.release(m.room());
        rooms.leave(m.room(), session.channel());
        int left = membersLeft(m.room());
        presence.remove(m.room(), memberKey(session));
        ServerMessage.Notice notice = new ServerMessage.Notice(ServerMessage.NoticeKind.LEAVE, m.room(),
                session.user(), null, Timestamps.now());
        replies.send(session, notice);
        // Asked after the remove: of two connections of one user leaving at once here, one at least is announced.
        if (left > 0 && left < config.announceLimit() && !presence.includes(m.room(), session.id())) {
            publish(m.room(), notice, session.id(), RoomEvent.Exclusion.SENDER);
        }
    }

    /** Announces a session's new username in each of its rooms, or to itself when it is in none. */
    void renamed(Session session, String old) {
        ServerMessage.User user = session.user();
        if (session.rooms().isEmpty()) {
            replies.send(session, new ServerMessage.Notice(ServerMessage.NoticeKind.RENAME, null, user, old,
                    Timestamps.now()));
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
     * Takes a connection out of rooms, then announces it: whoever reads "left" no longer finds the user anywhere. A
     * room that still lists the user through another connection (another tab, on any node) is not told: the user is
     * still there, and is announced as left when the last connection goes.
     */
    void leaveAll(Channel channel, String memberKey, Collection<String> left, ServerMessage.User user) {
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
     * Moves a kept session's rooms to its new connection: the new one becomes the member (held: the room's live
     * messages are kept for it until it catches the room up), then the dropped one stops being one. The rooms see
     * neither a join nor a leave.
     */
    void reattach(Session session, DetachedSessions.Detached kept) {
        for (String room : kept.rooms()) {
            session.rooms().add(room);
            session.hold(room);
            rooms.join(room, session.channel(), true);
            presence.add(room, memberKey(session), session.user());
            rooms.leave(room, kept.channel());
            presence.remove(room, kept.memberKey());
        }
    }

    /**
     * Takes a connection out of rooms without a notice, its presence entries handed over to the session's resume on
     * another node (see {@link Presence#handOver}).
     */
    void handOver(Channel channel, String memberKey, Collection<String> left, String resumeKey) {
        for (String room : left) {
            rooms.leave(room, channel);
            presence.handOver(room, memberKey, resumeKey);
        }
    }

    /**
     * Announces a member whose node vanished (a shared presence found it expired): nobody else will. Called once per
     * member across all nodes, by the node whose sweep removed it; the leave goes through the broker to every node,
     * as a leave announced by the member's own node would have. Not when the user is still in the room through
     * another connection: a session resumed on another node after its node stopped (a drain) has not left.
     */
    void departed(String room, ServerMessage.User user) {
        if (presence.includes(room, user.id())) {
            return;
        }
        if (presence.page(room, null, 1).total() < config.announceLimit()) {
            publish(room, new ServerMessage.Notice(ServerMessage.NoticeKind.LEAVE, room, user, null, Timestamps.now()),
                    null, RoomEvent.Exclusion.NONE);
        }
    }

    /**
     * Who stays in a room, on every node, once a member about to be removed from presence is gone: with shared
     * presence the last member on this node leaving a room others are in is announced too (this node's own count
     * would say nobody is left to tell, and a shared presence forgets a room this node has no members in).
     */
    private int membersLeft(String room) {
        return Math.max(0, presence.page(room, null, 1).total() - 1);
    }

    /** Publishes a notice to the room on every node. */
    private void publish(String room, ServerMessage notice, String senderId, RoomEvent.Exclusion exclusion) {
        broker.publish(new RoomEvent(room, notice, senderId, exclusion));
    }
}
