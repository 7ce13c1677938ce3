package dev.wschat.server.chat;

import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.JsonCodec;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.broker.Broker;
import dev.wschat.server.broker.RoomEvent;
import dev.wschat.server.limits.SlowConsumerHandler;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.SingleThreadEventLoop;
import io.netty.channel.VoidChannelPromise;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.netty.util.internal.PlatformDependent;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * This node's rooms and the delivery fast path. Each room keeps its members per event loop (a slice that
 * only its loop touches). A broker event is encoded once per dialect into a complete WebSocket frame and
 * queued on each slice — the sender's own loop's too, so every loop sees a room's events in one order —
 * and each loop drains its slice with one task, however many events queued meanwhile: each member gets a
 * retained duplicate of the one frame per event and one flush per batch, not a task and a syscall per recipient.
 */
public final class RoomRegistry implements Broker.Subscriber {
    private static final Object NO_SESSION = new Object();
    private final Map<String, Room> rooms = new ConcurrentHashMap<>();
    private final Map<EventLoop, LoopFlusher> flushers = new ConcurrentHashMap<>();
    private final JsonCodec codec;
    private final ServerMetrics metrics;

    /**
     * Creates an empty registry.
     *
     * @param codec   encodes events for delivery
     * @param metrics counts deliveries
     */
    public RoomRegistry(JsonCodec codec, ServerMetrics metrics) {
        this.codec = Objects.requireNonNull(codec, "codec");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /**
     * Adds a channel to a room, creating the room if needed. Called on the channel's event loop.
     *
     * @return the room's member count after the join
     */
    int join(String room, Channel channel) {
        Session session = Session.of(channel);
        int[] joined = new int[1];
        rooms.compute(room, (name, existing) -> {
            Room r = existing != null ? existing : new Room();
            if (r.all.putIfAbsent(channel, session == null ? NO_SESSION : session) == null) {
                if (session != null) {
                    (session.dialect() == Dialect.TUTORIAL ? r.tutorialMembers : r.v2Members).incrementAndGet();
                }
                Slice slice = r.slices.computeIfAbsent(channel.eventLoop(),
                        loop -> new Slice(loop, flushers.computeIfAbsent(loop, LoopFlusher::new)));
                slice.onLoop(() -> slice.add(channel, session));
            }
            joined[0] = r.all.size();
            return r;
        });
        return joined[0];
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
                Slice slice = r.slices.get(channel.eventLoop());
                if (slice != null) {
                    slice.onLoop(() -> slice.remove(channel));
                }
            }
            left[0] = r.all.size();
            return r.all.isEmpty() ? null : r;
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

    /** The members of a room as users, in no particular order. */
    List<ServerMessage.User> members(String room) {
        Room r = rooms.get(room);
        if (r == null) {
            return List.of();
        }
        List<ServerMessage.User> users = new ArrayList<>(r.all.size());
        for (Object s : r.all.values()) {
            if (s instanceof Session session) {
                users.add(session.user());
            }
        }
        return users;
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
        if (room == null) {
            return;
        }
        ByteBuf v2 = room.v2Members.get() > 0 ? frame(event.message(), Dialect.V2) : null;
        ByteBuf tutorial = room.tutorialMembers.get() > 0 ? frame(event.message(), Dialect.TUTORIAL) : null;
        if (v2 == null && tutorial == null) {
            return;
        }
        Delivery d = new Delivery(v2, tutorial, event.senderId(), event.exclusion());
        try {
            for (Slice slice : room.slices.values()) {
                if (slice.size > 0) {
                    slice.deliver(d);
                }
            }
        } finally {
            d.release();
        }
    }

    /**
     * Writes now what this loop queued for its own members (see {@code Slice.deliver}); call on {@code loop},
     * outside any lock. Does nothing on another thread or when nothing is owed.
     *
     * @param loop the calling event loop
     */
    public void drainOwed(EventLoop loop) {
        LoopFlusher flusher = flushers.get(loop);
        if (flusher == null || flusher.owed.isEmpty() || !loop.inEventLoop()) {
            return;
        }
        for (int i = 0; i < flusher.owed.size(); i++) {
            flusher.owed.get(i).drainOwed();
        }
        flusher.owed.clear();
        flusher.scheduleFlush();
    }

    /** The message as one complete, unmasked WebSocket text frame, or {@code null} when the dialect has no form of it. */
    private ByteBuf frame(ServerMessage message, Dialect dialect) {
        String text = codec.encode(message, dialect);
        if (text == null) {
            return null;
        }
        int length = ByteBufUtil.utf8Bytes(text);
        int header = length <= 125 ? 2 : length <= 0xFFFF ? 4 : 10;
        ByteBuf buf = ByteBufAllocator.DEFAULT.directBuffer(header + length);
        buf.writeByte(0x81); // FIN, text
        if (length <= 125) {
            buf.writeByte(length);
        } else if (length <= 0xFFFF) {
            buf.writeByte(126).writeShort(length);
        } else {
            buf.writeByte(127).writeLong(length);
        }
        ByteBufUtil.reserveAndWriteUtf8(buf, text, length);
        return buf;
    }

    /**
     * Where a complete, encoded frame enters the connection's pipeline: the context of the WebSocket frame
     * encoder, so the frame goes only through the handlers between it and the socket (TLS when on, the byte
     * counter), not through the whole pipeline from its tail. {@code null} when the connection cannot take
     * raw frames: before the handshake, or with a WebSocket extension encoder (none today).
     */
    private static ChannelHandlerContext rawFrameContext(Channel channel) {
        ChannelPipeline p = channel.pipeline();
        if (p.context(WebSocketExtensionEncoder.class) != null) {
            return null;
        }
        return p.context(WebSocketFrameEncoder.class);
    }

    /** One room: its members for presence and counts, and per event loop the slice that delivers to them. */
    private static final class Room {
        /** Every member and its session ({@link #NO_SESSION} before the handshake completed). */
        final Map<Channel, Object> all = new ConcurrentHashMap<>();
        final Map<EventLoop, Slice> slices = new ConcurrentHashMap<>(4);
        final AtomicInteger v2Members = new AtomicInteger();
        final AtomicInteger tutorialMembers = new AtomicInteger();
    }

    /** A room member as its loop sees it: fixed at join. */
    private static final class Member {
        final Channel channel;
        final Session session;
        final String id;
        final boolean tutorial;
        /** See {@link #rawFrameContext}; {@code null}: frames go through the whole pipeline as frame objects. */
        final ChannelHandlerContext rawContext;
        /** Consulted before every raw write, which does not pass it: a cut-off connection gets nothing more. */
        final SlowConsumerHandler slowConsumer;
        /** Write failures (the peer went away) are not fired down the pipeline as exceptions: it closes anyway. */
        final ChannelPromise quietPromise;
        int index;
        boolean dirty;

        Member(Channel channel, Session session, int index) {
            this.channel = channel;
            this.session = session;
            this.id = session == null ? null : session.id();
            this.tutorial = session != null && session.dialect() == Dialect.TUTORIAL;
            this.rawContext = rawFrameContext(channel);
            this.slowConsumer = channel.pipeline().get(SlowConsumerHandler.class);
            this.quietPromise = new VoidChannelPromise(channel, false);
            this.index = index;
        }
    }

    /** One event's frames, shared by every slice; reference-counted once per slice it is queued on. */
    private static final class Delivery {
        final ByteBuf v2;
        final ByteBuf tutorial;
        final String senderId;
        final RoomEvent.Exclusion exclusion;

        Delivery(ByteBuf v2, ByteBuf tutorial, String senderId, RoomEvent.Exclusion exclusion) {
            this.v2 = v2;
            this.tutorial = tutorial;
            this.senderId = senderId;
            this.exclusion = exclusion;
        }

        /** The frame for a member, or {@code null} when the member is left out. */
        ByteBuf frameFor(Member m) {
            ByteBuf f = m.tutorial ? tutorial : v2;
            if (f == null || m.id == null) {
                return null;
            }
            if (senderId != null && senderId.equals(m.id)) {
                return switch (exclusion) {
                    case NONE -> f;
                    case SENDER -> null;
                    case SENDER_IF_TUTORIAL -> m.tutorial ? null : f;
                };
            }
            return f;
        }

        void retain() {
            if (v2 != null) {
                v2.retain();
            }
            if (tutorial != null) {
                tutorial.retain();
            }
        }

        void release() {
            if (v2 != null) {
                v2.release();
            }
            if (tutorial != null) {
                tutorial.release();
            }
        }
    }

    /**
     * The members of one room on one event loop. {@link #members} and {@link #byChannel} are touched on that
     * loop only; other threads queue deliveries on {@link #pending}, drained by one task at a time.
     */
    private final class Slice {
        final EventLoop loop;
        final LoopFlusher flusher;
        final List<Member> members = new ArrayList<>();
        final Map<Channel, Member> byChannel = new HashMap<>();
        final Queue<Delivery> pending = PlatformDependent.newMpscQueue();
        final AtomicBoolean drainScheduled = new AtomicBoolean();
        /** Listed in its loop's {@link LoopFlusher#owed}, to be drained by {@link #drainOwed}. Loop-only. */
        boolean owed;
        final Runnable drainTask = this::drain;
        volatile int size;

        Slice(EventLoop loop, LoopFlusher flusher) {
            this.loop = loop;
            this.flusher = flusher;
        }

        void onLoop(Runnable task) {
            if (loop.inEventLoop()) {
                task.run();
            } else {
                loop.execute(task);
            }
        }

        void add(Channel channel, Session session) {
            if (!byChannel.containsKey(channel)) {
                Member m = new Member(channel, session, members.size());
                members.add(m);
                byChannel.put(channel, m);
                size = members.size();
            }
        }

        void remove(Channel channel) {
            Member m = byChannel.remove(channel);
            if (m != null) {
                int last = members.size() - 1;
                Member moved = members.remove(last);
                if (moved != m) {
                    members.set(m.index, moved);
                    moved.index = m.index;
                }
                size = members.size();
            }
        }

        /**
         * Queues the event for this loop: every event reaches a loop through its queue, in the order
         * {@code deliver} was called, so a room's order (see {@code ChatService.chat}) holds on every loop.
         * Another loop's queue is drained by one task; this loop's own queue also by {@link #drainOwed}, which
         * the caller runs once it released its lock, so the sender's own echo is written before the loop reads
         * the sender's next message (the task, then finding the queue empty, stays as the fallback).
         */
        void deliver(Delivery d) {
            d.retain();
            pending.add(d);
            if (loop.inEventLoop() && !owed) {
                owed = true;
                flusher.owed.add(this);
            }
            if (drainScheduled.compareAndSet(false, true)) {
                loop.execute(drainTask);
            }
        }

        private void drain() {
            drainQueued();
            flusher.scheduleFlush();
        }

        void drainOwed() {
            owed = false;
            drainQueued();
        }

        private void drainQueued() {
            drainScheduled.set(false);
            Delivery d;
            while ((d = pending.poll()) != null) {
                try {
                    write(d);
                } finally {
                    d.release();
                }
            }
        }

        /** Writes one event to every member of this slice, without flushing; counts the deliveries. */
        private void write(Delivery d) {
            int n = 0;
            for (int i = 0, size = members.size(); i < size; i++) {
                Member m = members.get(i);
                ByteBuf frame = d.frameFor(m);
                if (frame == null) {
                    continue;
                }
                Channel ch = m.channel;
                if (!ch.isActive()) {
                    continue;
                }
                if (m.slowConsumer != null && m.slowConsumer.isCutOff()) {
                    continue;
                }
                if (m.rawContext != null) {
                    m.rawContext.write(frame.retainedDuplicate(), m.quietPromise);
                } else {
                    int header = frame.getByte(frame.readerIndex() + 1) == 126 ? 4
                            : frame.getByte(frame.readerIndex() + 1) == 127 ? 10 : 2;
                    ch.write(new TextWebSocketFrame(frame.retainedSlice(frame.readerIndex() + header,
                            frame.readableBytes() - header)), m.quietPromise);
                }
                if (!m.dirty) {
                    m.dirty = true;
                    flusher.dirty.add(m);
                }
                n++;
            }
            if (n > 0) {
                metrics.deliveries(n);
            }
        }
    }

    /**
     * The members of one event loop written to but not yet flushed; flushed once per loop iteration, after
     * every task of it (all rooms' drains) ran, so a member written to by several drains gets one flush (one
     * {@code writev}, or one io_uring submission entry) instead of one per drain. Loop-only state.
     */
    private static final class LoopFlusher {
        final EventLoop loop;
        final List<Member> dirty = new ArrayList<>();
        /** This loop's slices with events queued by this loop itself, not yet drained. */
        final List<Slice> owed = new ArrayList<>();
        final Runnable flushTask = this::flushNow;
        boolean flushScheduled;

        LoopFlusher(EventLoop loop) {
            this.loop = loop;
        }

        void scheduleFlush() {
            if (flushScheduled || dirty.isEmpty()) {
                return;
            }
            flushScheduled = true;
            if (loop instanceof SingleThreadEventLoop iterating) {
                iterating.executeAfterEventLoopIteration(flushTask);
            } else {
                loop.execute(flushTask);
            }
        }

        void flushNow() {
            flushScheduled = false;
            for (int i = 0, n = dirty.size(); i < n; i++) {
                Member m = dirty.get(i);
                m.dirty = false;
                if (m.rawContext != null) {
                    m.rawContext.flush();
                } else {
                    m.channel.flush();
                }
            }
            dirty.clear();
        }
    }
}
