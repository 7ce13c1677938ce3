package dev.wschat.server.redis;

import dev.wschat.server.backend.BackendUnavailableException;
import dev.wschat.server.metrics.ServerMetrics;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.pubsub.RedisPubSubListener;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.micrometer.core.instrument.Counter;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * This node's link to Redis, the one provider every Redis component uses: one Lettuce client with a command
 * connection (scripts and reads, replies in the order sent) and a dedicated pub/sub connection, their health
 * ({@link #up()}, what {@code /ready} waits for), the scripts they preload and run ({@link #eval}, {@code EVALSHA}
 * with the {@code EVAL} fallback), and one thread for the components' background work ({@link #execute},
 * {@link #schedule}, {@link #every}; never an event loop). Both connections are opened in the background and retried
 * until Redis answers, so a node starts while Redis is down; Lettuce reconnects them after a drop. Lettuce's request
 * queue is bounded ({@code --history-queue} plus {@link #QUEUE_HEADROOM}), commands time out after
 * {@link #COMMAND_TIMEOUT}, and while disconnected commands are refused at once ({@code REJECT_COMMANDS}) rather than
 * queued: a chat then fails fast with {@code unavailable}. A command Redis refuses (an error reply) fails the same
 * way but is logged as what it is ({@link RedisErrors}).
 */
public final class RedisConnections implements AutoCloseable {
    /** How long a command may wait for its reply before it fails (the sender then gets {@code unavailable}). */
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);
    /** How often a connection Redis refused at start is tried again. */
    static final Duration CONNECT_RETRY = Duration.ofMillis(500);
    /** Commands Lettuce queues beyond the appends' bound: reads, repairs, notices, presence. */
    static final int QUEUE_HEADROOM = 4_096;
    private static final Logger LOG = LogManager.getLogger(RedisConnections.class);

    private final RedisURI uri;
    private final String where;
    private final ClientResources resources;
    private final RedisClient client;
    private final ScheduledExecutorService timer;
    private final Counter reconnects;
    private final RedisErrors errors;
    private volatile StatefulRedisConnection<String, String> commands;
    private volatile StatefulRedisPubSubConnection<String, String> pubsub;
    private final List<RedisPubSubListener<String, String>> pubsubListeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> onPubSubConnected = new CopyOnWriteArrayList<>();
    private final List<Runnable> onConnected = new CopyOnWriteArrayList<>();
    private final List<Script> scripts = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
    private volatile boolean warnedDown;

    /**
     * Creates the client; {@link #start()} opens the connections.
     *
     * @param url          {@code --redis}
     * @param requestQueue appends waiting at once ({@code --history-queue}); Lettuce's queue is this plus headroom
     * @param metrics      where {@code wschat_redis_up} and {@code wschat_redis_reconnects_total} go
     */
    public RedisConnections(String url, int requestQueue, ServerMetrics metrics) {
        this(url, requestQueue, metrics, COMMAND_TIMEOUT);
    }

    /** As the public constructor, with another command timeout (tests of a Redis that stalls). */
    RedisConnections(String url, int requestQueue, ServerMetrics metrics, Duration commandTimeout) {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(metrics, "metrics");
        this.uri = RedisURI.create(url);
        this.where = (uri.isSsl() ? "rediss://" : "redis://") + uri.getHost() + ":" + uri.getPort() + "/"
                + uri.getDatabase();
        this.errors = new RedisErrors(where);
        this.resources = ClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(1)
                // at least 100 ms: a burst of reconnects against a Redis that is restarting only adds load
                .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        this.client = RedisClient.create(resources);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                // room above the appends' own bound (RedisHistory) for reads, repairs and notices
                .requestQueueSize(requestQueue + QUEUE_HEADROOM)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
                .build());
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "wschat-redis");
            thread.setDaemon(true);
            return thread;
        });
        t.setRemoveOnCancelPolicy(true);
        this.timer = t;
        this.reconnects = metrics.counter("wschat.redis.reconnects", "Times a Redis connection came back after a drop");
        metrics.gauge("wschat.redis.up", "1 while both Redis connections (commands, pub/sub) are open, else 0",
                () -> up() ? 1 : 0);
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
                if (connection == commands || connection == pubsub) {
                    reconnects.increment();
                    LOG.info("redis: reconnected to {} ({})", where, connection == pubsub ? "pub/sub" : "commands");
                    if (connection == pubsub) {
                        pubSubConnected();
                    } else {
                        execute(() -> loadScripts(commands)); // a restarted Redis has forgotten them
                        onConnected.forEach(RedisConnections.this::execute);
                    }
                }
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                if (!closed && (connection == commands || connection == pubsub)) {
                    LOG.warn("redis: lost the {} connection to {}; chats are refused with unavailable and /ready "
                            + "answers 503 until it is back", connection == pubsub ? "pub/sub" : "commands", where);
                }
            }
        });
    }

    /** Where Redis is, without credentials: {@code redis://host:port/db}. */
    public String where() {
        return where;
    }

    /**
     * Adds what hears pub/sub traffic (every channel's: each listener skips the channels not its own) and what runs
     * on this client's thread each time the pub/sub connection opens (first time and after every reconnect; at once
     * when it is open already).
     */
    void pubSub(RedisPubSubListener<String, String> listener, Runnable onConnected) {
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(onConnected, "onConnected");
        StatefulRedisPubSubConnection<String, String> open;
        synchronized (pubsubListeners) { // against the connection opening meanwhile: each listener is added once
            pubsubListeners.add(listener);
            onPubSubConnected.add(onConnected);
            open = pubsub;
            if (open != null) {
                open.addListener(listener);
            }
        }
        if (open != null) {
            execute(onConnected);
        }
    }

    /**
     * Adds what runs on this client's thread each time either connection opens (first time and after every
     * reconnect; at once when the command connection is open already).
     */
    void onConnected(Runnable task) {
        onConnected.add(Objects.requireNonNull(task, "task"));
        if (commands != null) {
            execute(task);
        }
    }

    /** Opens both connections in the background, retrying every {@link #CONNECT_RETRY} while Redis refuses. */
    public void start() {
        connectCommands();
        connectPubSub();
    }

    private void connectCommands() {
        if (closed) {
            return;
        }
        client.connectAsync(StringCodec.UTF8, uri).whenComplete((connection, failure) -> {
            if (failure != null) {
                unreachable(failure);
                retry(this::connectCommands);
            } else if (closed) {
                connection.closeAsync();
            } else {
                commands = connection;
                LOG.info("redis: connected to {} (commands)", where);
                execute(() -> loadScripts(connection));
                onConnected.forEach(this::execute);
            }
        });
    }

    private void connectPubSub() {
        if (closed) {
            return;
        }
        client.connectPubSubAsync(StringCodec.UTF8, uri).whenComplete((connection, failure) -> {
            if (failure != null) {
                unreachable(failure);
                retry(this::connectPubSub);
            } else if (closed) {
                connection.closeAsync();
            } else {
                synchronized (pubsubListeners) {
                    pubsubListeners.forEach(connection::addListener);
                    pubsub = connection;
                }
                LOG.info("redis: connected to {} (pub/sub)", where);
                pubSubConnected();
            }
        });
    }

    private void pubSubConnected() {
        // Off Lettuce's thread: what runs here issues commands and must not hold up the connection's event loop.
        onPubSubConnected.forEach(this::execute);
        onConnected.forEach(this::execute);
    }

    private void unreachable(Throwable failure) {
        if (!warnedDown) {
            warnedDown = true;
            if (RedisErrors.refused(failure)) { // e.g. a wrong password: Redis is there and says no
                LOG.error("redis: {} refused the connection: {}; retrying every {} ms, /ready answers 503 until it "
                        + "accepts it", where, RedisErrors.message(failure), CONNECT_RETRY.toMillis());
            } else {
                LOG.warn("redis: cannot reach {} ({}); retrying every {} ms, /ready answers 503 until it answers",
                        where, RedisErrors.message(failure), CONNECT_RETRY.toMillis());
            }
        }
    }

    private void retry(Runnable connect) {
        if (!closed) {
            timer.schedule(connect, CONNECT_RETRY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Loads scripts whenever the command connection opens, so appends after a start or a Redis restart do not all
     * meet {@code NOSCRIPT} first (they would still succeed, by {@code EVAL}); call before {@link #start()}.
     */
    void preload(Script... scripts) {
        for (Script script : scripts) {
            this.scripts.add(Objects.requireNonNull(script, "script"));
        }
    }

    private void loadScripts(StatefulRedisConnection<String, String> connection) {
        for (Script script : scripts) {
            try {
                connection.async().scriptLoad(script.body()).whenComplete((sha, failure) -> {
                    if (failure != null) {
                        errors.failed(LOG, "redis:", "SCRIPT LOAD of " + script.name(), failure);
                    }
                });
            } catch (RuntimeException e) {
                LOG.debug("redis: loading script {} failed: {}", script.name(), e.toString());
            }
        }
    }

    /** Whether both connections are open now. */
    public boolean up() {
        StatefulRedisConnection<String, String> c = commands;
        StatefulRedisPubSubConnection<String, String> p = pubsub;
        return !closed && c != null && c.isOpen() && p != null && p.isOpen();
    }

    /** The command connection, or {@code null} before it first opened. */
    StatefulRedisConnection<String, String> commands() {
        return commands;
    }

    /** The pub/sub connection, or {@code null} before it first opened. */
    StatefulRedisPubSubConnection<String, String> pubsub() {
        return pubsub;
    }

    /** Logs the commands Redis refuses; shared by everything on these connections. */
    RedisErrors errors() {
        return errors;
    }

    /** Runs a task on this client's own thread (never an event loop), after {@code delayMs}. */
    void schedule(Runnable task, long delayMs) {
        if (!closed) {
            try {
                timer.schedule(guarded(task), delayMs, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                LOG.debug("redis: task refused while closing");
            }
        }
    }

    /** Runs a task on this client's own thread. */
    void execute(Runnable task) {
        if (!closed) {
            try {
                timer.execute(guarded(task));
            } catch (RejectedExecutionException e) {
                LOG.debug("redis: task refused while closing");
            }
        }
    }

    /**
     * Runs a task on this client's own thread every {@code period}, the first time at once, until it is cancelled
     * or this closes.
     */
    ScheduledFuture<?> every(Runnable task, Duration period) {
        return timer.scheduleWithFixedDelay(guarded(task), 0, period.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static Runnable guarded(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.warn("redis: background task failed", e);
            }
        };
    }

    /**
     * A Lua script and its SHA-1, for {@code EVALSHA}; {@code part} is what a refusal is logged as
     * ({@code [room] presence:}).
     */
    record Script(String part, String name, String body, String sha) {
        static Script of(String name, String body) {
            return of("redis", name, body);
        }

        static Script of(String part, String name, String body) {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-1").digest(body.getBytes(StandardCharsets.UTF_8));
                return new Script(part, name, body, HexFormat.of().formatHex(digest));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-1 is missing from this JVM", e);
            }
        }
    }

    /**
     * Runs a script on the command connection with {@code EVALSHA}; when Redis does not know it ({@code NOSCRIPT},
     * e.g. after a restart) it is sent again with {@code EVAL}, which also caches it. {@code onReply} is attached
     * before the command is written, so it runs when the reply is read, on the connection's thread, in the order the
     * commands were sent; or at once on this thread when the command cannot be sent. It must not block.
     *
     * @param script  the script
     * @param keys    its keys (one room's, one hash slot)
     * @param args    its arguments
     * @param onReply the reply (a list, nested lists and {@code Long}s and {@code String}s; an integer reply is a
     *                list of one {@code Long}) or the failure, as {@link BackendUnavailableException}
     */
    void eval(Script script, String[] keys, String[] args, BiConsumer<List<Object>, Throwable> onReply) {
        dispatch(script, keys, args, true, onReply);
    }

    private void dispatch(Script script, String[] keys, String[] args, boolean bySha,
                          BiConsumer<List<Object>, Throwable> onReply) {
        StatefulRedisConnection<String, String> connection = commands;
        if (connection == null || closed) {
            onReply.accept(null, new BackendUnavailableException("redis: not connected to " + where));
            return;
        }
        CommandArgs<String, String> a = new CommandArgs<>(StringCodec.UTF8).add(bySha ? script.sha() : script.body())
                .add(keys.length).addKeys(keys).addValues(args);
        AsyncCommand<String, String, List<Object>> command = new AsyncCommand<>(new Command<>(
                bySha ? CommandType.EVALSHA : CommandType.EVAL, new NestedMultiOutput<>(StringCodec.UTF8), a));
        command.whenComplete((reply, failure) -> {
            Throwable cause = failure instanceof CompletionException c && c.getCause() != null ? c.getCause() : failure;
            if (cause instanceof RedisNoScriptException && bySha) {
                LOG.debug("redis: script {} not loaded on {}; sending it", script.name(), where);
                dispatch(script, keys, args, false, onReply);
            } else if (cause != null) {
                if (RedisErrors.refused(cause)) {
                    errors.log(LOG, "[" + room(keys) + "] " + script.part() + ":", "script " + script.name(), cause);
                }
                onReply.accept(null, cause instanceof BackendUnavailableException ? cause
                        : new BackendUnavailableException("redis: " + script.name() + " failed on " + where + ": "
                                + RedisErrors.message(cause), cause));
            } else {
                onReply.accept(reply, null);
            }
        });
        try {
            connection.dispatch(command);
        } catch (RuntimeException e) {
            command.completeExceptionally(e); // queue full, or refused while disconnected
        }
    }

    /** The room a script's keys belong to: their hash tag ({@code {room}:meta}), else the first key. */
    private static String room(String[] keys) {
        String key = keys.length == 0 ? "" : keys[0];
        int end = key.indexOf('}');
        return key.startsWith("{") && end > 0 ? key.substring(1, end) : key;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        timer.shutdownNow();
        StatefulRedisPubSubConnection<String, String> p = pubsub;
        StatefulRedisConnection<String, String> c = commands;
        if (p != null) {
            p.close();
        }
        if (c != null) {
            c.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
        LOG.info("redis: disconnected from {}", where);
    }
}
