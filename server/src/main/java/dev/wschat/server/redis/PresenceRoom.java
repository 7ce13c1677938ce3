package dev.wschat.server.redis;

import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.presence.LocalPresence;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One room {@link RedisPresence} has members in on this node: the room's view (every node's members, sorted and paged
 * as {@link LocalPresence} does), this node's own members, and the other nodes' as last heard from Redis.
 */
final class PresenceRoom {
    /** The view's one room: a {@link LocalPresence} per room keeps a single room under this name. */
    static final String VIEW = "view";

    final LocalPresence view = new LocalPresence();
    /** This node's members, by connection key; removed and renamed only under {@link #writes}. */
    final Map<String, ServerMessage.User> local = new ConcurrentHashMap<>();
    /** Orders a leave or rename and a refresh batch of this room on the command connection. */
    final Object writes = new Object();
    /** Other nodes' members, by member key; guarded by this. */
    final Map<String, ServerMessage.User> remote = new HashMap<>();
    /** The room's version the view reflects; guarded by this. */
    long version;
    /** Redis's version at the last sweep that disagreed with {@link #version}, or -1; guarded by this. */
    long disagreed = -1;
    /**
     * Events heard while a snapshot is being read ({@link #reloads} &gt; 0), kept to apply again on top of it: its reply
     * comes on the command connection and may arrive after newer events on the pub/sub one. Guarded by this.
     */
    final List<Event> heardDuringReload = new ArrayList<>();
    /** Snapshots being read; guarded by this. */
    int reloads;
    /** Completed once the view holds the other nodes' members, read from Redis. */
    final CompletableFuture<Void> loaded = new CompletableFuture<>();

    /** Another node's member joined or was renamed; call holding this. */
    void putRemote(String key, ServerMessage.User user) {
        ServerMessage.User old = remote.put(key, user);
        if (old == null) {
            view.add(VIEW, key, user);
        } else if (!old.equals(user)) {
            view.rename(VIEW, key, user);
        }
    }

    /** Another node's member left; call holding this. */
    void removeRemote(String key) {
        if (remote.remove(key) != null) {
            view.remove(VIEW, key);
        }
    }

    /** The other nodes' members as a snapshot read them; call holding this. */
    void replaceRemote(Map<String, ServerMessage.User> members) {
        for (String key : List.copyOf(remote.keySet())) {
            if (!members.containsKey(key)) {
                removeRemote(key);
            }
        }
        members.forEach(this::putRemote);
    }

    /**
     * Installs a snapshot read at {@code snapshotVersion}, then the events heard meanwhile that are newer than it, so
     * the view never goes back behind an event it applied already; call holding this.
     */
    void installSnapshot(Map<String, ServerMessage.User> members, long snapshotVersion) {
        replaceRemote(members);
        long newest = snapshotVersion;
        for (Event e : heardDuringReload) {
            if (e.version() > snapshotVersion) {
                e.applyTo(this);
                newest = Math.max(newest, e.version());
            }
        }
        version = newest;
        if (--reloads == 0) {
            heardDuringReload.clear();
        }
    }

    /** One presence event of another node's member: a put ({@code user} set) or a removal. */
    record Event(long version, String key, ServerMessage.User user) {
        void applyTo(PresenceRoom r) {
            if (user != null) {
                r.putRemote(key, user);
            } else {
                r.removeRemote(key);
            }
        }
    }
}
