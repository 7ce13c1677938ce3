package dev.wschat.server.redis;

import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The pub/sub channels this node subscribes to for one kind of name (rooms for {@link RedisBroker}, users for
 * {@link RedisDirects}), each only while this node wants it. A change is recorded where it happens ({@link #changed},
 * which only records) and sent from {@link RedisConnections}' thread in batches: one {@code SUBSCRIBE} and one
 * {@code UNSUBSCRIBE} per flush. A {@code SUBSCRIBE} Redis did not take is sent again after {@link #RETRY_MS}; after
 * the pub/sub connection opens (again), {@link #resubscribeAll} subscribes every wanted name again.
 *
 * <p>Each subscription carries the state its owner keeps for it ({@code S}), made when the name is first wanted and
 * dropped when its {@code UNSUBSCRIBE} is sent (or when it was never subscribed): a name is present, with the same
 * state, from its first want until then, however often it is wanted and unwanted in between.
 *
 * @param <S> the owner's state per subscribed name
 */
final class Subscriptions<S> {
    /** How long a {@code SUBSCRIBE} Redis did not take waits before it is sent again. */
    static final long RETRY_MS = 1_000;
    private static final Logger LOG = LogManager.getLogger(Subscriptions.class);

    private final RedisConnections redis;
    private final String what;
    private final Function<String, String> channelOf;
    private final Function<String, String> nameOf;
    private final Function<String, S> newState;
    private final Consumer<S> dropped;
    private final Map<String, Entry<S>> entries = new ConcurrentHashMap<>();
    private final Queue<String> changed = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private volatile boolean closed;

    /**
     * Subscriptions on {@code redis}'s pub/sub connection; the owner adds its listener and calls
     * {@link #resubscribeAll} each time that connection opens.
     *
     * @param redis     the node's connections
     * @param what      what the names are, for the log ({@code rooms})
     * @param channelOf a name's channel
     * @param nameOf    a channel's name ({@code channelOf}'s inverse)
     * @param newState  the owner's state for a name first wanted
     * @param dropped   told of a state once its name's subscription is gone
     */
    Subscriptions(RedisConnections redis, String what, Function<String, String> channelOf,
                  Function<String, String> nameOf, Function<String, S> newState, Consumer<S> dropped) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.what = Objects.requireNonNull(what, "what");
        this.channelOf = Objects.requireNonNull(channelOf, "channelOf");
        this.nameOf = Objects.requireNonNull(nameOf, "nameOf");
        this.newState = Objects.requireNonNull(newState, "newState");
        this.dropped = Objects.requireNonNull(dropped, "dropped");
    }

    /**
     * This node wants {@code name}'s channel now ({@code wanted}) or no longer; only records the change, so it may
     * be called inside the caller's own update.
     */
    void changed(String name, boolean wanted) {
        entries.compute(name, (k, entry) -> {
            if (wanted) {
                Entry<S> e = entry != null ? entry : new Entry<>(newState.apply(k));
                e.wanted = true;
                return e;
            }
            if (entry != null) {
                entry.wanted = false;
            }
            return entry;
        });
        changed.add(name);
        scheduleFlush(0);
    }

    /** The state of {@code name}, or {@code null} while it has no subscription. */
    S get(String name) {
        Entry<S> e = name == null ? null : entries.get(name);
        return e == null ? null : e.state;
    }

    /** The state of the name whose channel this is, or {@code null} for another channel or no subscription. */
    S ofChannel(String channel) {
        return get(nameOf.apply(channel));
    }

    /** The names with a subscription (wanted, or not yet unsubscribed). */
    int size() {
        return entries.size();
    }

    /** Each subscription's state. */
    void forEach(Consumer<S> action) {
        entries.values().forEach(e -> action.accept(e.state));
    }

    /** After the pub/sub connection opened (again): every name is subscribed again. */
    void resubscribeAll() {
        entries.forEach((name, e) -> {
            e.subscribeSent = false;
            changed.add(name);
        });
        scheduleFlush(0);
    }

    /** Sends nothing more. */
    void close() {
        closed = true;
    }

    private void scheduleFlush(long delayMs) {
        if (flushScheduled.compareAndSet(false, true)) {
            redis.schedule(this::flush, delayMs);
        }
    }

    /** Sends the changes recorded since the last flush, as one SUBSCRIBE and one UNSUBSCRIBE. */
    private void flush() {
        flushScheduled.set(false);
        Set<String> names = new LinkedHashSet<>();
        String name;
        while ((name = changed.poll()) != null) {
            names.add(name);
        }
        StatefulRedisPubSubConnection<String, String> p = redis.pubsub();
        if (names.isEmpty() || closed) {
            return;
        }
        boolean connected = p != null && p.isOpen();
        List<String> subscribe = new ArrayList<>();
        List<String> unsubscribe = new ArrayList<>();
        for (String n : names) {
            entries.compute(n, (k, e) -> {
                if (e == null) {
                    return null;
                }
                if (!e.wanted) {
                    if (e.subscribeSent) {
                        unsubscribe.add(channelOf.apply(k));
                    }
                    dropped.accept(e.state);
                    return null;
                }
                if (!e.subscribeSent && connected) {
                    e.subscribeSent = true;
                    subscribe.add(channelOf.apply(k));
                }
                return e;
            });
        }
        if (!connected) {
            return; // resubscribeAll runs when the pub/sub connection opens
        }
        if (!unsubscribe.isEmpty()) {
            try {
                p.async().unsubscribe(unsubscribe.toArray(String[]::new));
            } catch (RuntimeException e) {
                LOG.debug("redis: unsubscribing from {} {} failed: {}", unsubscribe.size(), what, e.toString());
            }
        }
        if (!subscribe.isEmpty()) {
            try {
                p.async().subscribe(subscribe.toArray(String[]::new)).whenComplete((ok, failure) -> {
                    if (failure != null) {
                        redis.errors().failed(LOG, "redis:", "SUBSCRIBE to " + subscribe.size() + " " + what, failure);
                        retrySubscribe(subscribe);
                    }
                });
            } catch (RuntimeException e) {
                retrySubscribe(subscribe);
            }
        }
    }

    private void retrySubscribe(List<String> channels) {
        for (String channel : channels) {
            String n = nameOf.apply(channel);
            Entry<S> e = n == null ? null : entries.get(n);
            if (e != null) {
                e.subscribeSent = false;
                changed.add(n);
            }
        }
        scheduleFlush(RETRY_MS);
    }

    /** One name's subscription. */
    private static final class Entry<S> {
        final S state;
        /** Whether this node wants the channel (set in {@link #changed}). */
        volatile boolean wanted;
        /** Whether a SUBSCRIBE was sent on the current pub/sub connection (flush thread). */
        volatile boolean subscribeSent;

        Entry(S state) {
            this.state = state;
        }
    }
}
