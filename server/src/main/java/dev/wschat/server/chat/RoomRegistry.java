package dev.wschat.server.chat;

import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.JsonCodec;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.broker.Broker;
import dev.wschat.server.broker.RoomEvent;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.ChannelMatcher;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's rooms: one {@link ChannelGroup} per room, created on first join and removed when its
 * last member leaves. Delivers broker events to local members, encoding each event once per dialect.
 */
public final class RoomRegistry implements Broker.Subscriber {
    private final Map<String, ChannelGroup> rooms = new ConcurrentHashMap<>();
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
     * Adds a channel to a room, creating the room if needed.
     *
     * @return the room's member count after the join
     */
    int join(String room, Channel channel) {
        ChannelGroup[] joined = new ChannelGroup[1];
        rooms.compute(room, (name, group) -> {
            ChannelGroup g = group != null ? group : new DefaultChannelGroup(name, GlobalEventExecutor.INSTANCE);
            g.add(channel);
            joined[0] = g;
            return g;
        });
        return joined[0].size();
    }

    /**
     * Removes a channel from a room and removes the room when it is left empty.
     *
     * @return the room's member count after the leave
     */
    int leave(String room, Channel channel) {
        int[] left = new int[1];
        rooms.computeIfPresent(room, (name, group) -> {
            group.remove(channel);
            left[0] = group.size();
            return group.isEmpty() ? null : group;
        });
        return left[0];
    }

    /** The number of rooms that have members. */
    public int roomCount() {
        return rooms.size();
    }

    /** The member count of a room, 0 when it does not exist. */
    public int size(String room) {
        ChannelGroup group = rooms.get(room);
        return group == null ? 0 : group.size();
    }

    /** The members of a room as users, in no particular order. */
    List<ServerMessage.User> members(String room) {
        ChannelGroup group = rooms.get(room);
        if (group == null) {
            return List.of();
        }
        List<ServerMessage.User> users = new ArrayList<>(group.size());
        for (Channel ch : group) {
            Session s = Session.of(ch);
            if (s != null) {
                users.add(s.user());
            }
        }
        return users;
    }

    /** Every room with its member count, largest first, at most {@code limit}. */
    List<ServerMessage.RoomInfo> list(int limit) {
        List<ServerMessage.RoomInfo> all = new ArrayList<>(rooms.size());
        rooms.forEach((name, group) -> {
            int n = group.size();
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
        ChannelGroup group = rooms.get(event.room());
        if (group == null || group.isEmpty()) {
            return;
        }
        deliver(group, event, Dialect.V2);
        deliver(group, event, Dialect.TUTORIAL);
    }

    private void deliver(ChannelGroup group, RoomEvent event, Dialect dialect) {
        ChannelMatcher matcher = matcher(event, dialect);
        int recipients = countMembers(group, matcher);
        if (recipients == 0) {
            return;
        }
        String text = codec.encode(event.message(), dialect);
        if (text == null) {
            return;
        }
        ByteBuf buf = ByteBufUtil.writeUtf8(ByteBufAllocator.DEFAULT, text);
        // Encoded once: the group writes each member a retained duplicate of this one frame.
        group.writeAndFlush(new TextWebSocketFrame(buf), matcher, true);
        metrics.deliveries(recipients);
    }

    private static int countMembers(ChannelGroup group, ChannelMatcher matcher) {
        int n = 0;
        for (Channel ch : group) {
            if (matcher.matches(ch)) {
                n++;
            }
        }
        return n;
    }

    private static ChannelMatcher matcher(RoomEvent event, Dialect dialect) {
        String sender = event.senderId();
        RoomEvent.Exclusion exclusion = event.exclusion();
        return ch -> {
            Session s = Session.of(ch);
            if (s == null || s.dialect() != dialect) {
                return false;
            }
            if (sender == null || !sender.equals(s.id())) {
                return true;
            }
            return switch (exclusion) {
                case NONE -> true;
                case SENDER -> false;
                case SENDER_IF_TUTORIAL -> dialect != Dialect.TUTORIAL;
            };
        };
    }
}
