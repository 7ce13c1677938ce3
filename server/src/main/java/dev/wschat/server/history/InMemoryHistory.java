package dev.wschat.server.history;

import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.ServerConfig;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps the last N messages of each of the most recently used rooms in memory, dropping the least recently
 * used room's log past a cap; sequence numbers restart with the process and never go backwards in a room.
 */
public final class InMemoryHistory implements History {
    /** Messages the server keeps per room; a constant, not a setting. */
    public static final int MESSAGES_PER_ROOM = 100;

    private final int perRoom;
    private final int maxRooms;
    /** Guards {@link #rooms} and {@link #droppedSeq}; held for O(1) work (plus copying a log in recent). */
    private final Object lock = new Object();
    /** Room logs, least recently used first: appending to a room or reading it moves it last. */
    private final LinkedHashMap<String, RoomLog> rooms;
    /**
     * The highest sequence number given out in a room whose log is no longer kept: a room (re)created now
     * numbers past it, so a room dropped and used again never repeats or lowers its numbers.
     */
    private long droppedSeq;

    /**
     * Creates a history keeping up to {@code perRoom} messages for each of up to
     * {@link ServerConfig#DEFAULT_HISTORY_ROOMS} rooms.
     *
     * @param perRoom messages kept per room, 0 to keep none (sequence numbers are still assigned)
     */
    public InMemoryHistory(int perRoom) {
        this(perRoom, ServerConfig.DEFAULT_HISTORY_ROOMS);
    }

    /**
     * Creates a history keeping up to {@code perRoom} messages for each of up to {@code maxRooms} rooms; past
     * {@code maxRooms} the log of the room least recently appended to or read is dropped.
     *
     * @param perRoom  messages kept per room, 0 to keep none (sequence numbers are still assigned)
     * @param maxRooms rooms whose logs are kept, 0 to keep none (sequence numbers are still assigned)
     */
    public InMemoryHistory(int perRoom, int maxRooms) {
        if (perRoom < 0) {
            throw new IllegalArgumentException("perRoom must be 0 or more: " + perRoom);
        }
        if (maxRooms < 0) {
            throw new IllegalArgumentException("maxRooms must be 0 or more: " + maxRooms);
        }
        this.perRoom = perRoom;
        this.maxRooms = maxRooms;
        this.rooms = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, RoomLog> eldest) {
                if (size() <= InMemoryHistory.this.maxRooms) {
                    return false;
                }
                droppedSeq = Math.max(droppedSeq, eldest.getValue().seq);
                return true;
            }
        };
    }

    @Override
    public ServerMessage.Chat append(ServerMessage.Chat draft) {
        synchronized (lock) {
            RoomLog log = rooms.get(draft.room());
            if (log == null) {
                log = new RoomLog(droppedSeq);
                if (maxRooms > 0) {
                    rooms.put(draft.room(), log);
                }
            }
            ServerMessage.Chat stored = new ServerMessage.Chat(draft.room(), draft.id(), ++log.seq,
                    draft.from(), draft.message(), draft.timestamp());
            if (maxRooms == 0) {
                droppedSeq = log.seq;
            } else if (perRoom > 0) {
                if (log.messages.size() == perRoom) {
                    log.messages.removeFirst();
                }
                log.messages.addLast(stored);
            }
            return stored;
        }
    }

    @Override
    public List<ServerMessage.Chat> recent(String room, int limit) {
        if (limit <= 0) {
            return List.of();
        }
        synchronized (lock) {
            RoomLog log = rooms.get(room);
            if (log == null) {
                return List.of();
            }
            List<ServerMessage.Chat> newestFirst = new ArrayList<>(Math.min(limit, log.messages.size()));
            for (Iterator<ServerMessage.Chat> it = log.messages.descendingIterator();
                 it.hasNext() && newestFirst.size() < limit; ) {
                newestFirst.add(it.next());
            }
            Collections.reverse(newestFirst);
            return List.copyOf(newestFirst);
        }
    }

    /** Rooms whose logs are kept now. */
    public int roomCount() {
        synchronized (lock) {
            return rooms.size();
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            rooms.clear();
        }
    }

    private static final class RoomLog {
        private final ArrayDeque<ServerMessage.Chat> messages = new ArrayDeque<>();
        private long seq;

        RoomLog(long seq) {
            this.seq = seq;
        }
    }
}
