package dev.wschat.server.chat;

import dev.wschat.server.broker.DirectRelay;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * This node's connected sessions by client id: one, or several for a user signed in from several tabs, oldest first.
 * A session kept for a resume is not among them. The relay hears of each id's first and last session here.
 */
final class Sessions {
    private final Map<String, List<Session>> byId = new ConcurrentHashMap<>();
    private final AtomicInteger connected = new AtomicInteger();
    private final DirectRelay directs;

    Sessions(DirectRelay directs) {
        this.directs = directs;
    }

    /** The number of connected sessions (a user signed in from two tabs counts twice). */
    int count() {
        return connected.get();
    }

    /** Every connected session. */
    Collection<Session> all() {
        return byId.values().stream().flatMap(List::stream).toList();
    }

    /** The id's connected sessions, oldest first; empty when it has none here. */
    List<Session> of(String id) {
        return byId.getOrDefault(id, List.of());
    }

    /** The id's connected session with that resume key, or {@code null}. */
    Session of(String id, String resumeKey) {
        for (Session s : of(id)) {
            if (s.resumeKey().equals(resumeKey)) {
                return s;
            }
        }
        return null;
    }

    /**
     * Adds the session to those its id reaches (a user signed in from several tabs has one each); the relay hears of
     * the user's first session here inside the same update, so its subscriptions follow the map in order.
     */
    void attach(Session session) {
        byId.compute(session.id(), (id, previous) -> {
            if (previous == null) {
                directs.userChanged(id, true);
                return List.of(session);
            }
            List<Session> more = new ArrayList<>(previous.size() + 1);
            more.addAll(previous);
            more.add(session);
            return List.copyOf(more);
        });
        connected.incrementAndGet();
    }

    /**
     * Unmaps the session; its id keeps reaching the user's other connections, if any. A detached session is unmapped
     * too, so direct messages to a user with no connection get {@code no_such_user} on every node.
     *
     * @return whether it was mapped
     */
    boolean forget(Session session) {
        boolean[] removed = new boolean[1];
        byId.computeIfPresent(session.id(), (id, current) -> {
            if (!current.contains(session)) {
                return current;
            }
            removed[0] = true;
            if (current.size() == 1) {
                directs.userChanged(id, false);
                return null;
            }
            return current.stream().filter(s -> s != session).toList();
        });
        if (removed[0]) {
            connected.decrementAndGet();
        }
        return removed[0];
    }
}
