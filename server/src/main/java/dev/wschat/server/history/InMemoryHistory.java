package dev.wschat.server.history;

import dev.wschat.protocol.ServerMessage;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Keeps the last N messages of each of the most recently used rooms in memory ({@code --history none}),
 * dropping the least recently used room's log past a cap; nothing survives a restart, so the epoch is
 * random per process. Sequence numbers never go backwards in a room within a process.
 *
 * <p>An append completes on the appending thread, holding its room's lock across numbering and
 * {@code onStored}: a room's completions are serialized in seq order.
 */
public final class InMemoryHistory implements History {
    /** Messages the server keeps per room by default. */
    public static final int MESSAGES_PER_ROOM = HistorySettings.DEFAULT_MEMORY_MESSAGES;
    /** Client message ids remembered per sender however young they are: bounds memory against a fast sender. */
    static final int MAX_DEDUP_PER_SENDER = 10_000;
    /** Client message ids always remembered per sender, however old (with the window, the "or"). */
    static final int MIN_DEDUP_PER_SENDER = 1_000;
    private static final Logger LOG = LogManager.getLogger(InMemoryHistory.class);
    /** Locks ordering a room's completions, striped by room name so rooms never leak locks. */
    private static final int ORDER_STRIPES = 64;

    private final int perRoom;
    private final int maxRooms;
    private final long maxAgeMs;
    private final long dedupWindowMs;
    private final Clock clock;
    private final String epoch = "mem-" + UUID.randomUUID();
    private final Object[] orderLocks = new Object[ORDER_STRIPES];
    /** Guards every map below; held for O(1) work (plus copying a log in reads), never across onStored. */
    private final Object lock = new Object();
    /** Room logs, least recently used first: appending to a room or reading it moves it last. */
    private final LinkedHashMap<String, RoomLog> rooms;
    /** Per sender, its client message ids, oldest first; senders least recently appending first. */
    private final LinkedHashMap<String, Sender> senders =
            new LinkedHashMap<>(16, 0.75f, true);
    /**
     * The highest sequence number given out in a room whose log is no longer kept: a room (re)created now
     * numbers past it, so a room dropped and used again never repeats or lowers its numbers.
     */
    private long droppedSeq;

    /**
     * Creates a history keeping up to {@code perRoom} messages for each of up to
     * {@link HistorySettings#DEFAULT_ROOMS} rooms.
     *
     * @param perRoom messages kept per room, 0 to keep none (sequence numbers are still assigned)
     */
    public InMemoryHistory(int perRoom) {
        this(perRoom, HistorySettings.DEFAULT_ROOMS);
    }

    /**
     * Creates a history keeping up to {@code perRoom} messages for each of up to {@code maxRooms} rooms; past
     * {@code maxRooms} the log of the room least recently appended to or read is dropped.
     *
     * @param perRoom  messages kept per room, 0 to keep none (sequence numbers are still assigned)
     * @param maxRooms rooms whose logs are kept, 0 to keep none (sequence numbers are still assigned)
     */
    public InMemoryHistory(int perRoom, int maxRooms) {
        this(perRoom, maxRooms, HistorySettings.DEFAULT_MAX_AGE, HistorySettings.DEFAULT_DEDUP_WINDOW,
                Clock.systemUTC());
    }

    /**
     * Creates a history with every limit given.
     *
     * @param perRoom     messages kept per room, 0 to keep none
     * @param maxRooms    rooms whose logs are kept, 0 to keep none
     * @param maxAge      how long a message is kept, {@link Duration#ZERO} for no limit
     * @param dedupWindow how long a client message id is remembered per sender
     * @param clock       the time messages are stored at
     */
    public InMemoryHistory(int perRoom, int maxRooms, Duration maxAge, Duration dedupWindow, Clock clock) {
        if (perRoom < 0) {
            throw new IllegalArgumentException("perRoom must be 0 or more: " + perRoom);
        }
        if (maxRooms < 0) {
            throw new IllegalArgumentException("maxRooms must be 0 or more: " + maxRooms);
        }
        this.perRoom = perRoom;
        this.maxRooms = maxRooms;
        this.maxAgeMs = Objects.requireNonNull(maxAge, "maxAge").toMillis();
        this.dedupWindowMs = Objects.requireNonNull(dedupWindow, "dedupWindow").toMillis();
        this.clock = Objects.requireNonNull(clock, "clock");
        for (int i = 0; i < ORDER_STRIPES; i++) {
            orderLocks[i] = new Object();
        }
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
    public CompletionStage<Appended> append(ServerMessage.Chat draft, String clientMsgId, String senderKey,
                                            Consumer<Appended> onStored) {
        Objects.requireNonNull(draft, "draft");
        Objects.requireNonNull(draft.room(), "draft.room");
        Objects.requireNonNull(senderKey, "senderKey");
        Objects.requireNonNull(onStored, "onStored");
        synchronized (orderLocks[(draft.room().hashCode() & 0x7fffffff) % ORDER_STRIPES]) {
            Appended appended;
            synchronized (lock) {
                appended = store(draft, clientMsgId, senderKey);
            }
            try {
                onStored.accept(appended);
            } catch (RuntimeException e) {
                LOG.warn("[{}] onStored failed for seq {}", draft.room(), appended.message().seq(), e);
            }
            return CompletableFuture.completedFuture(appended);
        }
    }

    private Appended store(ServerMessage.Chat draft, String clientMsgId, String senderKey) {
        long now = clock.millis();
        Sender sender = null;
        if (clientMsgId != null) {
            sender = senders.get(senderKey);
            Remembered earlier = sender == null ? null : sender.ids.get(clientMsgId);
            if (earlier != null) {
                return new Appended(earlier.message, true);
            }
        }
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
            log.messages.addLast(new Kept(stored, now));
        }
        if (clientMsgId != null) {
            if (sender == null) {
                sender = new Sender();
                senders.put(senderKey, sender);
            }
            sender.ids.put(clientMsgId, new Remembered(stored, now));
            sender.lastMs = now;
            forgetOld(sender.ids, now);
        }
        forgetIdleSender(now);
        return new Appended(stored, false);
    }

    /** Past the ids always kept, drops those older than the window, and any past the hard cap. */
    private void forgetOld(LinkedHashMap<String, Remembered> ids, long now) {
        Iterator<Remembered> it = ids.values().iterator();
        while (ids.size() > MIN_DEDUP_PER_SENDER && it.hasNext()) {
            Remembered oldest = it.next();
            if (ids.size() <= MAX_DEDUP_PER_SENDER && now - oldest.storedMs < dedupWindowMs) {
                return;
            }
            it.remove();
        }
    }

    /** Forgets the least recently appending sender once its newest id is past the window: O(1) per append. */
    private void forgetIdleSender(long now) {
        Iterator<Sender> it = senders.values().iterator();
        if (it.hasNext() && now - it.next().lastMs >= dedupWindowMs) {
            it.remove();
        }
    }

    /** A room's messages still kept (age applied), its last seq, and whether its log was dropped (room cap). */
    private RoomView view(String room) {
        Objects.requireNonNull(room, "room");
        synchronized (lock) {
            RoomLog log = rooms.get(room);
            return log == null ? new RoomView(List.of(), 0, droppedSeq > 0)
                    : new RoomView(log.snapshot(clock.millis() - maxAgeMs, maxAgeMs > 0), log.seq, false);
        }
    }

    /** What {@link #view} read under the lock. */
    private record RoomView(List<ServerMessage.Chat> messages, long lastSeq, boolean lost) {
    }

    @Override
    public CompletionStage<Page> recent(String room, int limit) {
        RoomView view = view(room);
        List<ServerMessage.Chat> all = view.messages();
        long lastSeq = view.lastSeq();
        boolean lost = view.lost();
        int from = Math.max(0, all.size() - Math.max(0, limit));
        List<ServerMessage.Chat> page = all.subList(from, all.size());
        boolean hasMore = from > 0;
        boolean complete = !hasMore && !lost && (page.isEmpty() ? lastSeq == 0 : page.get(0).seq() == 1);
        return CompletableFuture.completedFuture(new Page(room, epoch, page, hasMore, complete, lastSeq));
    }

    @Override
    public CompletionStage<Page> after(String room, long seq, int limit) {
        RoomView view = view(room);
        List<ServerMessage.Chat> all = view.messages();
        long lastSeq = view.lastSeq();
        boolean lost = view.lost();
        int from = 0;
        while (from < all.size() && all.get(from).seq() <= seq) {
            from++;
        }
        int to = (int) Math.min(all.size(), (long) from + Math.max(0, limit));
        List<ServerMessage.Chat> page = all.subList(from, to);
        boolean hasMore = to < all.size();
        boolean complete = !hasMore && !lost
                && (page.isEmpty() ? seq == lastSeq : page.get(0).seq() == seq + 1);
        return CompletableFuture.completedFuture(new Page(room, epoch, page, hasMore, complete, lastSeq));
    }

    @Override
    public CompletionStage<Page> before(String room, long seq, int limit) {
        RoomView view = view(room);
        List<ServerMessage.Chat> all = view.messages();
        long lastSeq = view.lastSeq();
        boolean lost = view.lost();
        int to = 0;
        while (to < all.size() && all.get(to).seq() < seq) {
            to++;
        }
        int from = Math.max(0, to - Math.min(MAX_PAGE, Math.max(0, limit)));
        List<ServerMessage.Chat> page = all.subList(from, to);
        boolean hasMore = from > 0;
        boolean complete = !hasMore && !lost && (page.isEmpty() ? seq <= 1 || lastSeq == 0 : page.get(0).seq() == 1);
        return CompletableFuture.completedFuture(new Page(room, epoch, page, hasMore, complete, lastSeq));
    }

    @Override
    public CompletionStage<String> epoch(String room) {
        Objects.requireNonNull(room, "room");
        return CompletableFuture.completedFuture(epoch);
    }

    @Override
    public long refusedAppends() {
        return 0;
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
            senders.clear();
        }
    }

    private record Kept(ServerMessage.Chat message, long storedMs) {
    }

    /** One sender's remembered client message ids, oldest first, and when it last stored one. */
    private static final class Sender {
        private final LinkedHashMap<String, Remembered> ids = new LinkedHashMap<>();
        private long lastMs;
    }

    private record Remembered(ServerMessage.Chat message, long storedMs) {
    }

    private static final class RoomLog {
        private final ArrayDeque<Kept> messages = new ArrayDeque<>();
        private long seq;

        RoomLog(long seq) {
            this.seq = seq;
        }

        /** Drops messages stored before {@code cutoffMs} (when aging is on), then copies the rest, oldest first. */
        List<ServerMessage.Chat> snapshot(long cutoffMs, boolean aging) {
            if (aging) {
                while (!messages.isEmpty() && messages.peekFirst().storedMs < cutoffMs) {
                    messages.removeFirst();
                }
            }
            List<ServerMessage.Chat> copy = new ArrayList<>(messages.size());
            for (Kept k : messages) {
                copy.add(k.message);
            }
            return copy;
        }
    }
}
