package dev.wschat.server.chat;

import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.auth.Identity;
import dev.wschat.server.broker.AwayRegistry;
import dev.wschat.server.broker.Takeovers;
import dev.wschat.server.metrics.ServerMetrics;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.Channel;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Resume: signs resume tokens and refreshes them, keeps a dropped session for the resume window (and ends it when the
 * window passes), and ends a session here that another node resumed. With {@code --resume-window 0} it keeps nothing
 * and issues no token.
 */
final class Resumption {
    private static final Logger LOG = LogManager.getLogger(Resumption.class);

    private final ChatSettings config;
    private final Sessions sessions;
    private final RoomMembership membership;
    private final Replies replies;
    private final Takeovers takeovers;
    private final AwayRegistry away;
    /** Signs resume tokens; {@code null} when resume is off ({@code --resume-window 0}). */
    private final ResumeTokens tokens;
    /** Dropped sessions kept for a resume; {@code null} when resume is off. */
    private final DetachedSessions detached;
    /** Sessions, attached or detached, ended here because another node resumed them. */
    private final Counter takenOverElsewhere;

    Resumption(ChatSettings config, Sessions sessions, RoomMembership membership, Replies replies,
               Takeovers takeovers, AwayRegistry away, ServerMetrics metrics) {
        this.config = config;
        this.sessions = sessions;
        this.membership = membership;
        this.replies = replies;
        this.takeovers = takeovers;
        this.away = away;
        this.takenOverElsewhere = metrics.counter("wschat.sessions.resumed.elsewhere",
                "Sessions ended on this node, without notices, because another node resumed them");
        Duration window = config.resumeWindow();
        if (window.isZero()) {
            this.tokens = null;
            this.detached = null;
        } else {
            this.tokens = ResumeTokens.create(config.sessionSecret(), Clock.systemUTC());
            this.detached = new DetachedSessions(config.maxDetachedSessions(), window);
            detached.schedule(this::refreshTokens, refreshPeriod());
        }
    }

    /**
     * What a handshake's resume token says, when it is valid and may be used here (dialect 2, resume on, and with
     * authentication the same {@code sub}); else {@code null}.
     */
    ResumeTokens.Claims verify(Channel channel, Dialect dialect, Identity identity, String resumeToken) {
        if (tokens == null || dialect != Dialect.V2 || resumeToken == null) {
            return null;
        }
        ResumeTokens.Claims claims = tokens.verify(resumeToken).orElse(null);
        if (claims != null && identity != null && !identity.subject().equals(claims.clientId())) {
            LOG.debug("[{}] ignored a resume token of another user", channel.id());
            return null; // a token never lets one signed-in user take another's id
        }
        return claims;
    }

    /** Takes the session kept under {@code resumeKey} for its resume, or {@code null} when none is (any more). */
    DetachedSessions.Detached claim(String resumeKey) {
        return detached == null ? null : detached.claim(resumeKey);
    }

    /** The sessions of a client id kept here for a resume now; empty when none is. */
    List<DetachedSessions.Detached> keptOf(String userId) {
        return detached == null ? List.of() : detached.ofUser(userId);
    }

    /** The number of dropped sessions kept for a resume. */
    int detachedCount() {
        return detached == null ? 0 : detached.size();
    }

    /** Tells every node a session was resumed here: one still holding it ends it, none records it away any more. */
    void resumed(String userId, String resumeKey) {
        takeovers.resumed(userId, resumeKey); // a node where this session is still attached closes it (4009)
        away.back(userId, resumeKey);
    }

    /** Keeps a dropped session for a resume; {@code false} when it cannot be kept (resume off, dialect 1, full). */
    boolean detach(Session session) {
        if (detached == null || session.dialect() != Dialect.V2) {
            return false;
        }
        DetachedSessions.Detached d = new DetachedSessions.Detached(session.resumeKey(), session.id(),
                session.username(), session.channel(), RoomMembership.memberKey(session), session.rooms());
        if (!detached.keep(d, this::expire)) {
            LOG.debug("[{}] {} sessions kept for a resume already (--max-detached-sessions); {} ends now",
                    session.channel().id(), config.maxDetachedSessions(), session.id());
            return false;
        }
        sessions.forget(session);
        away.away(session.id(), session.resumeKey(), Instant.now().plus(config.resumeWindow()));
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
        Loops.run(d.channel(), "the resume window of " + d.id() + " passed", () -> {
            membership.leaveAll(d.channel(), d.memberKey(), d.rooms(), new ServerMessage.User(d.id(), d.username()));
            LOG.debug("[{}] resume window of {} passed", d.channel().id(), d.id());
        });
    }

    /**
     * Another node resumed a session this node still holds; it ends here without notices (its user is back, on the
     * other node, which lists it in presence itself; a leave announced now could arrive after its join there). An
     * attached session's connection is closed 4009; a detached one's kept rooms, presence entries and resume window
     * go, so its window's end announces nothing. Its presence entries are handed over, not just removed: the other
     * node, re-joining the session's rooms, finds the user was listed there and announces no join either. Called on
     * the relay's thread; never blocks.
     */
    void resumedElsewhere(String userId, String resumeKey) {
        Session live = sessions.of(userId, resumeKey);
        if (live == null) {
            // Detached here, if at all: a dropping session is kept before it is unmapped, so it is in one or the other.
            endDetachedSilently(resumeKey);
            return;
        }
        Loops.run(live.channel(), "a takeover from another node", () -> {
            if (live.end()) {
                sessions.forget(live);
                membership.handOver(live.channel(), RoomMembership.memberKey(live), live.rooms(), resumeKey);
                live.rooms().clear();
                live.releaseAll();
                takenOverElsewhere.increment();
                LOG.debug("[{}] {} resumed on another node", live.channel().id(), userId);
            } else {
                // It dropped before this ran (its disconnect ran first on this loop) and may be detached now.
                endDetachedSilently(resumeKey);
            }
            Replies.closeResumed(live.channel());
        });
    }

    /**
     * Ends the detached session kept under {@code resumeKey}, if any, as its window's end would but without the leave
     * notices: out of its rooms and their presence (only its own entries, handed over to the resume: member keys are
     * per connection and node, so the resuming node's entries stay whichever lands first), its expiry cancelled.
     */
    private void endDetachedSilently(String resumeKey) {
        DetachedSessions.Detached d = claim(resumeKey);
        if (d == null) {
            return;
        }
        away.back(d.id(), d.resumeKey());
        takenOverElsewhere.increment();
        Loops.run(d.channel(), "a detached session resumed elsewhere ended", () -> {
            membership.handOver(d.channel(), d.memberKey(), d.rooms(), resumeKey);
            LOG.debug("[{}] {}, detached here, resumed on another node", d.channel().id(), d.id());
        });
    }

    /** A fresh resume token for the session, or {@code null} when it has none (resume off, or dialect 1). */
    String newToken(Session session) {
        if (tokens == null || session.dialect() != Dialect.V2) {
            return null;
        }
        session.tokenIssuedAt(System.currentTimeMillis());
        return tokens.issue(session.id(), session.username(), session.resumeKey(), session.inboxGiven(),
                tokenLifetime());
    }

    /** Sends the session a fresh resume token, if it has them; on its event loop. */
    void sendToken(Session session) {
        String token = newToken(session);
        if (token != null) {
            replies.send(session, new ServerMessage.Token(token));
        }
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
            for (Session session : sessions.all()) {
                if (session.dialect() == Dialect.V2 && session.tokenIssuedAt() != 0 && session.tokenIssuedAt() <= due) {
                    // Not Loops.run: a stopped loop (the server is stopping) ends the sweep, logged below.
                    session.channel().eventLoop().execute(() -> sendToken(session));
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("resume token refresh failed", e);
        } finally {
            detached.schedule(this::refreshTokens, refreshPeriod());
        }
    }

    /** Stops the resume timer; kept sessions are forgotten. Called once the connections are closed. */
    void close() {
        if (detached != null) {
            detached.close();
        }
    }
}
