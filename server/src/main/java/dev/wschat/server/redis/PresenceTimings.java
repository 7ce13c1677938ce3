package dev.wschat.server.redis;

import java.time.Duration;
import java.util.Objects;

/**
 * How often {@link RedisPresence} refreshes this node's members and sweeps expired ones, and how long a member
 * outlives its node's last refresh. A stopped node's members are gone from every room within {@code ttl + sweep}
 * (7 s with the defaults), inside the 10 s the project promises; a live node survives {@code ttl / refresh - 1}
 * lost refreshes in a row.
 *
 * @param refresh how often this node pushes its members' expiry and its liveness key
 * @param ttl     how long a member (and the node's liveness key) lives without a refresh
 * @param sweep   how often this node removes expired members of the rooms it has members in, and checks its views
 */
public record PresenceTimings(Duration refresh, Duration ttl, Duration sweep) {
    /** 2 s refresh, 6 s TTL, 1 s sweep. */
    public static final PresenceTimings DEFAULTS = new PresenceTimings(Duration.ofSeconds(2), Duration.ofSeconds(6),
            Duration.ofSeconds(1));

    public PresenceTimings {
        Objects.requireNonNull(refresh, "refresh");
        Objects.requireNonNull(ttl, "ttl");
        Objects.requireNonNull(sweep, "sweep");
        if (refresh.toMillis() < 10 || sweep.toMillis() < 10) {
            throw new IllegalArgumentException("presence refresh and sweep must be at least 10 ms: " + refresh + ", "
                    + sweep);
        }
        if (ttl.compareTo(refresh.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("presence ttl (" + ttl + ") must be at least twice the refresh ("
                    + refresh + "): one lost refresh must not drop a live node's members");
        }
    }
}
