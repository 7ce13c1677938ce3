package dev.wschat.server.presence;

import dev.wschat.protocol.ServerMessage;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * This node's presence, in memory: per room, its members sorted by user id then connection key, so a page
 * is a range read of O(page + log room size) and a cursor (the last key listed, encoded) stays valid while
 * members come and go. The count is kept beside the map, whose own size is O(room size).
 */
public final class LocalPresence implements Presence {
    private static final char SEPARATOR = '\u0000';
    private final Map<String, Members> rooms = new ConcurrentHashMap<>();

    @Override
    public void add(String room, String memberKey, ServerMessage.User user) {
        Objects.requireNonNull(user, "user");
        rooms.compute(room, (name, members) -> {
            Members m = members != null ? members : new Members();
            if (m.userOf.putIfAbsent(memberKey, user.id()) == null) {
                m.byKey.put(sortKey(user.id(), memberKey), user);
                m.count.incrementAndGet();
            }
            return m;
        });
    }

    @Override
    public void remove(String room, String memberKey) {
        rooms.computeIfPresent(room, (name, m) -> {
            String userId = m.userOf.remove(memberKey);
            if (userId != null) {
                m.byKey.remove(sortKey(userId, memberKey));
                m.count.decrementAndGet();
            }
            return m.userOf.isEmpty() ? null : m;
        });
    }

    @Override
    public void rename(String room, String memberKey, ServerMessage.User user) {
        Members m = rooms.get(room);
        if (m != null) {
            m.byKey.replace(sortKey(user.id(), memberKey), user);
        }
    }

    @Override
    public Page page(String room, String cursor, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1: " + limit);
        }
        String after = cursor == null ? null : decode(cursor);
        Members m = rooms.get(room);
        if (m == null) {
            return new Page(List.of(), 0, null);
        }
        NavigableMap<String, ServerMessage.User> rest = after == null ? m.byKey : m.byKey.tailMap(after, false);
        List<ServerMessage.User> users = new ArrayList<>(Math.min(limit, 64));
        String last = null;
        boolean more = false;
        for (Map.Entry<String, ServerMessage.User> e : rest.entrySet()) {
            if (users.size() == limit) {
                more = true;
                break;
            }
            users.add(e.getValue());
            last = e.getKey();
        }
        return new Page(users, m.count.get(), more ? encode(last) : null);
    }

    @Override
    public boolean includes(String room, String userId) {
        Members m = rooms.get(room);
        if (m == null) {
            return false;
        }
        String prefix = userId + SEPARATOR;
        String first = m.byKey.ceilingKey(prefix);
        return first != null && first.startsWith(prefix);
    }

    /** Answered at once, from the index: this presence is all there is; it hands nothing over. */
    @Override
    public CompletionStage<Boolean> listed(String room, String userId, String memberKey, String resumeKey) {
        return CompletableFuture.completedFuture(includesOther(room, userId, memberKey));
    }

    /**
     * Whether a user is a member of a room through a connection other than {@code memberKey}, in O(log n + the
     * user's connections).
     *
     * @param room      the room
     * @param userId    the user's client id
     * @param memberKey the connection left out
     * @return whether another member of the room is that user
     */
    public boolean includesOther(String room, String userId, String memberKey) {
        Members m = rooms.get(room);
        if (m == null) {
            return false;
        }
        String prefix = userId + SEPARATOR;
        String own = sortKey(userId, memberKey);
        for (String key : m.byKey.tailMap(prefix).keySet()) {
            if (!key.startsWith(prefix)) {
                return false;
            }
            if (!key.equals(own)) {
                return true;
            }
        }
        return false;
    }

    private static String sortKey(String userId, String memberKey) {
        return userId + SEPARATOR + memberKey;
    }

    private static String encode(String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String cursor) {
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a presence cursor: " + cursor, e);
        }
    }

    /** One room's members, sorted, and how many. */
    private static final class Members {
        final ConcurrentSkipListMap<String, ServerMessage.User> byKey = new ConcurrentSkipListMap<>();
        /** Each member's user id, by connection key: finds its sorted entry in O(log n). */
        final Map<String, String> userOf = new ConcurrentHashMap<>();
        final AtomicInteger count = new AtomicInteger();
    }
}
