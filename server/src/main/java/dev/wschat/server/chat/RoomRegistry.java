package dev.wschat.server.chat;

import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.JsonCodec;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.broker.Broker;
import dev.wschat.server.broker.RoomEvent;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * This node's rooms: which channels are in each, how many per dialect, the room list and presence; it hands
 * broker events to the {@link RoomFanout}, which delivers them to the members per event loop.
 */
public final class RoomRegistry implements Broker.Subscriber {
    private static final Object NO_SESSION = new Object();
    private final Map<String, Room> rooms = new ConcurrentHashMap<>();
    private final RoomFanout fanout;
    private final Membership membership;

    /** Told when this node's first member joins a room and when its last one leaves (see {@link Broker#membersChanged}). */
    @FunctionalInterface
    public interface Membership {
        /**
         * Records a change; called inside the room's update, in order per room, so it must not block.
         *
         * @param room       the room
         * @param hasMembers whether the room has members on this node now
         */
        void changed(String room, boolean hasMembers);
    }

    /**
     * Creates an empty registry.
     *
     * @param codec   encodes events for delivery
     * @param metrics counts deliveries
     */
    public RoomRegistry(JsonCodec codec, ServerMetrics metrics) {
        this(codec, metrics, (room, hasMembers) -> { });
    }

    /**
     * Creates an empty registry that reports rooms gaining their first and losing their last member.
     *
     * @param codec      encodes events for delivery
     * @param metrics    counts deliveries
     * @param membership told of each room's first join and last leave
     */
    public RoomRegistry(JsonCodec codec, ServerMetrics metrics, Membership membership) {
        this.fanout = new RoomFanout(codec, metrics);
        this.membership = Objects.requireNonNull(membership, "membership");
    }

    /**
     * Adds a channel to a room, creating the room if needed. Called on the channel's event loop.
     *
     * @return the room's member count after the join
     */
    int join(String room, Channel channel) {
        return join(room, channel, false);
    }

    /**
     * Adds a channel to a room, held when {@code catchingUp} until {@link #catchUp} (see {@code RoomFanout.add}).
     *
     * @return the room's member count after the join
     */
    int join(String room, Channel channel, boolean catchingUp) {
        Session session = Session.of(channel);
        int[] joined = new int[1];
        rooms.compute(room, (name, existing) -> {
            Room r = existing != null ? existing : new Room();
            if (r.all.putIfAbsent(channel, session == null ? NO_SESSION : session) == null) {
                if (session != null) {
                    (session.dialect() == Dialect.TUTORIAL ? r.tutorialMembers : r.v2Members).incrementAndGet();
                }
                fanout.add(r.slices, channel, session, catchingUp);
            }
            if (existing == null) {
                membership.changed(name, true);
            }
            joined[0] = r.all.size();
            return r;
        });
        return joined[0];
    }

    /**
     * Ends a held member's catch-up: on its loop, {@code writeMissed} runs, then what the room delivered meanwhile
     * past {@code upToSeq} is written (see {@code RoomFanout.catchUp}).
     */
    void catchUp(String room, Channel channel, long upToSeq, Runnable writeMissed) {
        Room r = rooms.get(room);
        if (r == null) {
            channel.eventLoop().execute(writeMissed);
            return;
        }
        fanout.catchUp(r.slices, channel, upToSeq, writeMissed);
    }

    /**
     * Removes a channel from a room and removes the room when it is left empty. Called on the channel's event loop.
     *
     * @return the room's member count after the leave
     */
    int leave(String room, Channel channel) {
        Session session = Session.of(channel);
        int[] left = new int[1];
        rooms.computeIfPresent(room, (name, r) -> {
            if (r.all.remove(channel) != null) {
                if (session != null) {
                    (session.dialect() == Dialect.TUTORIAL ? r.tutorialMembers : r.v2Members).decrementAndGet();
                }
                fanout.remove(r.slices, channel);
            }
            left[0] = r.all.size();
            if (r.all.isEmpty()) {
                membership.changed(name, false);
                return null;
            }
            return r;
        });
        return left[0];
    }

    /** The number of rooms that have members. */
    public int roomCount() {
        return rooms.size();
    }

    /** The member count of a room, 0 when it does not exist. */
    public int size(String room) {
        Room r = rooms.get(room);
        return r == null ? 0 : r.all.size();
    }

    /** Every room with its member count, largest first, at most {@code limit}. */
    List<ServerMessage.RoomInfo> list(int limit) {
        List<ServerMessage.RoomInfo> all = new ArrayList<>(rooms.size());
        rooms.forEach((name, r) -> {
            int n = r.all.size();
            if (n > 0) {
                all.add(new ServerMessage.RoomInfo(name, n));
            }
        });
        all.sort(Comparator.comparingInt(ServerMessage.RoomInfo::members).reversed()
                .thenComparing(ServerMessage.RoomInfo::name));
        return all.size() <= limit ? all : List.copyOf(all.subList(0, limit));
    }

    @Override
    public void deliver(RoomEvent event) {
        Room room = rooms.get(event.room());
        if (room != null) {
            fanout.deliver(room.slices, event, room.v2Members.get() > 0, room.tutorialMembers.get() > 0);
        }
    }

    /**
     * Sends a v2 member of a room a message right after the room's events queued for its loop so far, flushed with
     * them (see {@link RoomFanout#sendAfterEvents}).
     *
     * @param room    the room
     * @param channel the member
     * @param message what to send it
     */
    public void sendAfterEvents(String room, Channel channel, ServerMessage message) {
        Room r = rooms.get(room);
        fanout.sendAfterEvents(r == null ? null : r.slices, channel, message);
    }

    /**
     * Writes now what this loop queued for its own members; call on {@code loop}, outside any lock
     * (see {@link ChatService#handle}). Does nothing on another thread or when nothing is owed.
     *
     * @param loop the calling event loop
     */
    public void drainOwed(EventLoop loop) {
        fanout.drainOwed(loop);
    }

    /** One room: its members for presence and counts, and the fan-out's slices that deliver to them. */
    private static final class Room {
        /** Every member and its session ({@link #NO_SESSION} before the handshake completed). */
        final Map<Channel, Object> all = new ConcurrentHashMap<>();
        final RoomFanout.Slices slices = new RoomFanout.Slices();
        final AtomicInteger v2Members = new AtomicInteger();
        final AtomicInteger tutorialMembers = new AtomicInteger();
    }
}
