package dev.wschat.server.redis;

import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.history.Page;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One subscribed room's delivery on this node: strictly in seq order, each message once, gaps repaired from the
 * room's stream. It keeps the last seq delivered; a message with a later seq than the next one is held, the missing
 * ones are read from the stream (one read at a time) and delivered first; a (re)subscription catches up from the
 * stream the same way. The room's order starts where the stream was when its subscription became active
 * ({@link #ready}); messages heard before that are held. A new epoch (Redis lost the room) starts over at seq 0, and
 * seqs the stream no longer has (retention) are skipped with a warning.
 *
 * <p>Knows nothing of Redis: the reads, the delivery and the retries are its {@link Host}'s. Its state is guarded by
 * its monitor, held while messages are handed to {@link Host#deliver} (which must only queue them).
 */
final class RoomOrder {
    /** Messages read from a stream per repair step. */
    static final int REPAIR_BATCH = 500;
    /** Messages held while a gap is repaired; past it the newest are dropped (the repair reads them again). */
    static final int MAX_PENDING = 10_000;
    private static final Logger LOG = LogManager.getLogger(RoomOrder.class);

    /** What a room's order needs from around it. */
    interface Host {
        /**
         * Where the room's stream is now.
         *
         * @return a page with the stream's last seq and epoch (its messages are not used)
         */
        CompletionStage<Page> position(String room);

        /** Up to {@code limit} stored messages of the room after {@code seq}, oldest first. */
        CompletionStage<Page> after(String room, long seq, int limit);

        /** Hands the room's next message to this node's members; must not block. */
        void deliver(String room, ServerMessage.Chat chat);

        /** Runs {@code task} again a little later: a read failed. */
        void retryLater(Runnable task);

        /** A repair read filled a gap with {@code filled} messages. */
        void repaired(int filled);
    }

    private final String room;
    private final Host host;
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private volatile boolean ended;
    /** The last seq delivered; -1 until the subscription is active and the stream's position read. */
    private long last = -1;
    private String epoch;
    /** Messages past a gap (or before the start position is known), by seq. */
    private final TreeMap<Long, ServerMessage.Chat> pending = new TreeMap<>();
    private String pendingEpoch;
    private boolean initializing;
    private boolean repairing;
    private boolean repairAgain;

    RoomOrder(String room, Host host) {
        this.room = Objects.requireNonNull(room, "room");
        this.host = Objects.requireNonNull(host, "host");
    }

    /** Completes once the room's order has its start: every message published after it is delivered. */
    CompletableFuture<Void> ready() {
        return ready;
    }

    /** The room is no longer subscribed here: no read, repair or retry starts after this. */
    void end() {
        ended = true;
    }

    /** The room's subscription became active: the first time it reads the start, after a reconnect it catches up. */
    synchronized void subscribed() {
        if (last >= 0) {
            repair();
        } else if (!initializing) {
            initializing = true;
            host.position(room).whenComplete(this::initialized);
        }
    }

    /** A message the room's channel carried. */
    synchronized void live(long seq, String messageEpoch, ServerMessage.Chat chat) {
        if (last < 0) {
            pendingEpoch = messageEpoch;
            hold(seq, chat);
            return;
        }
        if (!messageEpoch.equals(epoch)) {
            startOver(messageEpoch);
        }
        if (seq <= last) {
            return; // delivered already (from a repair)
        }
        hold(seq, chat);
        drain();
        if (!pending.isEmpty()) {
            repair();
        }
    }

    private synchronized void initialized(Page page, Throwable failure) {
        initializing = false;
        if (failure != null) {
            // DEBUG: Redis being down is logged by RedisConnections, and Redis refusing the read (at ERROR) too
            LOG.debug("[{}] reading the stream position failed: {}; retrying", room, failure.toString());
            host.retryLater(this::retryInit);
            return;
        }
        last = page.lastSeq();
        epoch = page.epoch();
        if (pendingEpoch != null && !pendingEpoch.equals(epoch)) {
            pending.clear();
        }
        drain();
        if (!pending.isEmpty()) {
            repair();
        }
        ready.complete(null);
    }

    private synchronized void retryInit() {
        if (last < 0 && !initializing && !ended) {
            initializing = true;
            host.position(room).whenComplete(this::initialized);
        }
    }

    private void startOver(String newEpoch) {
        LOG.warn("[{}] the room's history was reset in Redis (epoch {} -> {}); starting over at seq 1", room, epoch,
                newEpoch);
        epoch = newEpoch;
        last = 0;
        pending.clear();
    }

    private void hold(long seq, ServerMessage.Chat chat) {
        pending.put(seq, chat);
        if (pending.size() > MAX_PENDING) {
            pending.pollLastEntry(); // still in the stream: the repair reads it again
        }
    }

    /** Delivers the held messages that continue the room's order. */
    private void drain() {
        while (!pending.isEmpty() && pending.firstKey() <= last) {
            pending.pollFirstEntry();
        }
        while (!pending.isEmpty() && pending.firstKey() == last + 1) {
            ServerMessage.Chat chat = pending.pollFirstEntry().getValue();
            last = chat.seq();
            host.deliver(room, chat);
        }
    }

    /** Reads what follows the last delivered seq from the stream; one read at a time. */
    private void repair() {
        if (repairing) {
            repairAgain = true;
            return;
        }
        repairing = true;
        repairAgain = false;
        long from = last;
        host.after(room, from, REPAIR_BATCH).whenComplete((page, failure) -> repaired(from, page, failure));
    }

    private synchronized void repaired(long from, Page page, Throwable failure) {
        repairing = false;
        if (failure != null) {
            // DEBUG: Redis being down, or refusing the read, is logged by RedisConnections
            LOG.debug("[{}] repair read after seq {} failed: {}; retrying", room, from, failure.toString());
            host.retryLater(this::retryRepair);
            return;
        }
        if (ended) {
            return;
        }
        if (!page.epoch().equals(epoch)) {
            startOver(page.epoch());
            repair();
            return;
        }
        int filled = 0;
        for (ServerMessage.Chat chat : page.messages()) {
            if (chat.seq() > last && pending.put(chat.seq(), chat) == null) {
                filled++;
            }
        }
        List<ServerMessage.Chat> read = page.messages();
        long firstKept = read.isEmpty() ? (pending.isEmpty() ? last + 1 : pending.firstKey()) : read.get(0).seq();
        if (firstKept > last + 1 && (read.isEmpty() || read.get(0).seq() == firstKept)) {
            LOG.warn("[{}] seqs {}..{} are no longer in the stream (retention); skipping them", room, last + 1,
                    firstKept - 1);
            last = firstKept - 1;
        }
        drain();
        if (filled > 0) {
            host.repaired(filled);
        }
        if (page.hasMore() || repairAgain) {
            repair();
        }
    }

    private synchronized void retryRepair() {
        if (!ended && (!pending.isEmpty() || repairAgain) && !repairing) {
            repair();
        }
    }
}
