package dev.wschat.server.chat;

import io.netty.channel.Channel;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Sessions whose connection dropped, kept for the resume window with their rooms and presence, so that a resume
 * within it finds them; at most {@code --max-detached-sessions} at once. One timer wheel (one thread, off the
 * event loops) runs every expiry; the expiry's own work is handed to the session's event loop.
 */
final class DetachedSessions implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(DetachedSessions.class);
    /** The wheel's tick: expiries run up to this much late. */
    private static final long TICK_MILLIS = 100;

    /**
     * A dropped session, as its rooms still see it.
     *
     * @param resumeKey the key its resume token names
     * @param id        its client id
     * @param username  its username when it dropped
     * @param channel   the closed connection still listed as the member of its rooms
     * @param memberKey its key in presence
     * @param rooms     the rooms it was in
     * @param inboxUsed set once a direct message to it was kept in its inbox ({@link Inbox}): its resume reads it
     */
    record Detached(String resumeKey, String id, String username, Channel channel, String memberKey, Set<String> rooms,
                    AtomicBoolean inboxUsed) {
        Detached {
            Objects.requireNonNull(resumeKey, "resumeKey");
            Objects.requireNonNull(id, "id");
            rooms = Set.copyOf(rooms);
            Objects.requireNonNull(inboxUsed, "inboxUsed");
        }

        Detached(String resumeKey, String id, String username, Channel channel, String memberKey, Set<String> rooms) {
            this(resumeKey, id, username, channel, memberKey, rooms, new AtomicBoolean());
        }
    }

    private final Map<String, Entry> byKey = new ConcurrentHashMap<>();
    /** The resume keys kept for each client id (a user signed in from several tabs may have several). */
    private final Map<String, Set<String>> keysById = new ConcurrentHashMap<>();
    private final AtomicInteger count = new AtomicInteger();
    private final int max;
    private final Duration window;
    private final HashedWheelTimer timer;

    DetachedSessions(int max, Duration window) {
        this.max = max;
        this.window = Objects.requireNonNull(window, "window");
        this.timer = new HashedWheelTimer(new DefaultThreadFactory("wschat-resume", true), TICK_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    /** A kept session and its expiry (set once scheduled; a claim before that leaves the timer nothing to do). */
    private static final class Entry {
        final Detached session;
        volatile Timeout expiry;

        Entry(Detached session) {
            this.session = session;
        }

        void cancel() {
            Timeout t = expiry;
            if (t != null) {
                t.cancel();
            }
        }
    }

    /**
     * Keeps a dropped session for the window; at its end, unless claimed, {@code onExpiry} runs (on the timer thread).
     *
     * @return {@code false} when {@code --max-detached-sessions} are kept already (the session is not kept)
     */
    boolean keep(Detached session, Consumer<Detached> onExpiry) {
        if (count.incrementAndGet() > max) {
            count.decrementAndGet();
            return false;
        }
        Entry entry = new Entry(session);
        Entry before = byKey.put(session.resumeKey(), entry);
        keysById.computeIfAbsent(session.id(), id -> ConcurrentHashMap.newKeySet()).add(session.resumeKey());
        if (before != null) {
            // The same session dropped twice without a resume between: impossible unless a key repeats; end the first.
            before.cancel();
            count.decrementAndGet();
            LOG.debug("[{}] a second detached session under one resume key", session.channel().id());
            onExpiry.accept(before.session);
        }
        try {
            entry.expiry = timer.newTimeout(t -> {
                if (byKey.remove(session.resumeKey(), entry)) {
                    unindex(session);
                    count.decrementAndGet();
                    onExpiry.accept(session);
                }
            }, window.toMillis(), TimeUnit.MILLISECONDS);
        } catch (IllegalStateException stopped) {
            // closed: the server is stopping, nothing is kept any more
            byKey.remove(session.resumeKey(), entry);
            unindex(session);
            count.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Takes the session kept under {@code resumeKey} out of the store, or {@code null} when none is (any more). */
    Detached claim(String resumeKey) {
        Entry entry = byKey.remove(resumeKey);
        if (entry == null) {
            return null;
        }
        entry.cancel();
        unindex(entry.session);
        count.decrementAndGet();
        return entry.session;
    }

    /** The sessions of a client id kept now; empty when none is. */
    List<Detached> ofUser(String id) {
        Set<String> keys = keysById.get(id);
        if (keys == null) {
            return List.of();
        }
        List<Detached> kept = new ArrayList<>(1);
        for (String key : keys) {
            Entry e = byKey.get(key);
            if (e != null) {
                kept.add(e.session);
            }
        }
        return kept;
    }

    private void unindex(Detached session) {
        keysById.computeIfPresent(session.id(), (id, keys) -> {
            if (byKey.containsKey(session.resumeKey())) {
                return keys; // kept again under the same key meanwhile
            }
            keys.remove(session.resumeKey());
            return keys.isEmpty() ? null : keys;
        });
    }

    /** The number of sessions kept now. */
    int size() {
        return count.get();
    }

    /** Runs {@code task} after {@code delay} on the timer thread (the token refresh sweep). */
    void schedule(Runnable task, Duration delay) {
        try {
            timer.newTimeout(t -> task.run(), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (IllegalStateException stopped) {
            LOG.debug("resume timer stopped; {} not scheduled", task);
        }
    }

    /** Stops the timer: kept sessions are forgotten without their leave notices (the server is stopping). */
    @Override
    public void close() {
        timer.stop();
        byKey.clear();
        keysById.clear();
        count.set(0);
    }
}
