package dev.wschat.server.history;

import dev.wschat.protocol.ServerMessage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Keeps the last N messages of each room in memory; sequence numbers restart with the process. */
public final class InMemoryHistory implements History {
    private final int perRoom;
    private final Map<String, RoomLog> rooms = new ConcurrentHashMap<>();

    /**
     * Creates a history keeping up to {@code perRoom} messages per room.
     *
     * @param perRoom messages kept per room, 0 to keep none (sequence numbers are still assigned)
     */
    public InMemoryHistory(int perRoom) {
        if (perRoom < 0) {
            throw new IllegalArgumentException("perRoom must be 0 or more: " + perRoom);
        }
        this.perRoom = perRoom;
    }

    @Override
    public ServerMessage.Chat append(ServerMessage.Chat draft) {
        RoomLog log = rooms.computeIfAbsent(draft.room(), r -> new RoomLog());
        synchronized (log) {
            ServerMessage.Chat stored = new ServerMessage.Chat(draft.room(), draft.id(), ++log.seq,
                    draft.from(), draft.message(), draft.timestamp());
            if (perRoom > 0) {
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
        RoomLog log = rooms.get(room);
        if (log == null || limit <= 0) {
            return List.of();
        }
        synchronized (log) {
            List<ServerMessage.Chat> all = new ArrayList<>(log.messages);
            return List.copyOf(all.subList(Math.max(0, all.size() - limit), all.size()));
        }
    }

    @Override
    public void close() {
        rooms.clear();
    }

    private static final class RoomLog {
        private final ArrayDeque<ServerMessage.Chat> messages = new ArrayDeque<>();
        private long seq;
    }
}
