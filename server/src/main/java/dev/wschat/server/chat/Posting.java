package dev.wschat.server.chat;

import dev.wschat.protocol.ClientMessage;
import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.ErrorCode;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.protocol.Timestamps;
import dev.wschat.server.broker.Broker;
import dev.wschat.server.broker.RoomEvent;
import dev.wschat.server.history.History;
import dev.wschat.server.metrics.ServerMetrics;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.concurrent.atomic.LongAdder;

/**
 * Where a chat message is stored and where it leaves: the room's history stores and numbers it, then it is published
 * to every node with members of the room; its sender's ack goes out behind its echo.
 */
final class Posting {
    private static final Logger LOG = LogManager.getLogger(Posting.class);

    private final History history;
    private final Broker broker;
    private final RoomRegistry rooms;
    private final Replies replies;
    private final ServerMetrics metrics;
    private final MessageIds ids;
    /** Appends not completed yet: a drain waits for them, so what was accepted is delivered before 1001. */
    private final LongAdder inFlight = new LongAdder();

    Posting(History history, Broker broker, RoomRegistry rooms, Replies replies, ServerMetrics metrics,
            MessageIds ids) {
        this.history = history;
        this.broker = broker;
        this.rooms = rooms;
        this.replies = replies;
        this.metrics = metrics;
        this.ids = ids;
    }

    /**
     * Posts a member's chat message to a room: stored, then published; {@code unavailable} when the store cannot
     * take it. Nothing is delivered unless it was stored.
     *
     * @param session the sender, a member of the room
     * @param room    the room
     * @param m       what it sent
     */
    void post(Session session, String room, ClientMessage.Chat m) {
        ServerMessage.Chat draft = new ServerMessage.Chat(room, ids.next(), 0, session.user(), m.content(),
                Timestamps.now());
        // The history decides the room's order: it runs the publish step in seq order (on its writer thread,
        // or on this thread under its room lock in memory), so every member's loop receives the room's messages
        // in seq order whichever loops the senders are on. Nothing is delivered unless it was stored.
        String clientMsgId = session.dialect() == Dialect.TUTORIAL ? null : m.clientMsgId();
        inFlight.increment();
        history.append(draft, clientMsgId, session.id(), appended -> {
            if (!appended.duplicate()) {
                broker.publish(new RoomEvent(room, appended.message(), session.id(),
                        RoomEvent.Exclusion.SENDER_IF_TUTORIAL));
            }
        }).whenComplete((appended, failure) -> {
            inFlight.decrement();
            if (failure != null) {
                LOG.debug("[{}] message to {} not stored: {}", session.channel().id(), room, failure.toString());
                metrics.rejected(ServerMetrics.Reason.UNAVAILABLE);
                replies.error(session, ErrorCode.UNAVAILABLE, "The server cannot store messages right now; try again",
                        m.ref());
            } else if (clientMsgId != null) {
                ServerMessage.Chat stored = appended.message();
                // Behind its echo in the room's queue for the sender's loop: written after it, in the same flush.
                rooms.sendAfterEvents(room, session.channel(), new ServerMessage.Ack(room, clientMsgId, stored.id(),
                        stored.seq(), appended.duplicate()));
            }
        });
    }

    /** Whether every message posted so far was stored (and published) or refused. */
    boolean settled() {
        return inFlight.sum() == 0;
    }
}
