package dev.wschat.server;

import dev.wschat.protocol.CloseCodes;
import dev.wschat.protocol.JsonCodec;
import dev.wschat.server.broker.Broker;
import dev.wschat.server.broker.DirectRelay;
import dev.wschat.server.broker.LocalBroker;
import dev.wschat.server.broker.LocalDirectRelay;
import dev.wschat.server.chat.ChatService;
import dev.wschat.server.chat.RoomRegistry;
import dev.wschat.server.chat.Session;
import dev.wschat.server.history.History;
import dev.wschat.server.history.HistoryOpenException;
import dev.wschat.server.history.HistorySettings;
import dev.wschat.server.history.InMemoryHistory;
import dev.wschat.server.history.SqliteHistory;
import dev.wschat.server.auth.JwtAuthenticator;
import dev.wschat.server.http.AdminHandler;
import dev.wschat.server.http.HttpRequestHandler;
import dev.wschat.server.http.Readiness;
import dev.wschat.server.http.StaticFiles;
import dev.wschat.server.metrics.ServerMetrics;
import dev.wschat.server.redis.PresenceTimings;
import dev.wschat.server.redis.RedisAwayRegistry;
import dev.wschat.server.redis.RedisBroker;
import dev.wschat.server.redis.RedisConnections;
import dev.wschat.server.redis.RedisDirects;
import dev.wschat.server.redis.RedisHistory;
import dev.wschat.server.redis.RedisPresence;
import dev.wschat.server.redis.RedisTakeovers;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The chat server: binds, serves, and drains on {@link #stop()}; {@link Main} runs it as a process that drains
 * and exits 0 on SIGTERM. With {@code --admin-port} a second listener serves {@code /metrics}.
 */
public final class ChatServer {
    private static final Logger LOG = LogManager.getLogger(ChatServer.class);
    /** Why connections are closed on shutdown, as in the tutorial. */
    public static final String SHUTDOWN_REASON = "Server shutting down";

    private final ServerConfig config;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final ChannelGroup allChannels = new DefaultChannelGroup("all", GlobalEventExecutor.INSTANCE);
    private final Readiness readiness = new Readiness();
    private EventLoopGroup bossGroup;
    private EventLoopGroup workerGroup;
    private Channel serverChannel;
    private Channel adminChannel;
    private ChatService service;
    private Broker broker;
    private DirectRelay directs;
    private RedisTakeovers redisTakeovers;
    private RedisAwayRegistry redisAway;
    private History history;
    private RedisConnections redis;
    private RedisPresence sharedPresence;
    private ServerMetrics metrics;
    private String transport;

    /**
     * Creates a server that is not yet started.
     *
     * @param config the validated configuration
     */
    public ChatServer(ServerConfig config) {
        this.config = Objects.requireNonNull(config, "config").validate();
    }

    /**
     * Binds and starts serving.
     *
     * @return this server
     * @throws IllegalStateException when already started
     * @throws InterruptedException  when interrupted while binding
     */
    public ChatServer start() throws InterruptedException {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("start() already called");
        }
        // Read keys and certificates before any thread starts, so a bad file fails the start cleanly.
        SslContext tls = ServerTls.context(config);
        JwtAuthenticator authenticator = JwtAuthenticator.create(config.authSettings());
        Transport resolved = config.transport().resolve();
        IoHandlerFactory ioFactory = resolved.ioHandlerFactory();
        Class<? extends ServerChannel> channelType = resolved.serverChannelClass();
        transport = resolved.label();
        String sessionSecret = sessionSecret(config);
        history = config.redis().isPresent() ? null : openHistory(config);
        int workers = config.workerThreads() > 0 ? config.workerThreads() : Runtime.getRuntime().availableProcessors();
        bossGroup = new MultiThreadIoEventLoopGroup(1, ioFactory);
        workerGroup = new MultiThreadIoEventLoopGroup(workers, ioFactory);

        JsonCodec codec = new JsonCodec(config.maxContentLength());
        metrics = new ServerMetrics();
        if (history instanceof SqliteHistory sqlite) {
            // a full disk: /ready 503 and the gauge 0 until a write succeeds again
            readiness.requires(sqlite::writable);
            metrics.historyWritable(sqlite::writable);
        }
        // The broker hears of each room's first and last member here (a Redis broker subscribes meanwhile).
        RoomRegistry rooms = new RoomRegistry(codec, metrics, (room, hasMembers) -> broker.membersChanged(room,
                hasMembers));
        if (config.redis().isPresent()) {
            openRedis(rooms);
        } else {
            broker = new LocalBroker(rooms);
            directs = new LocalDirectRelay();
        }
        ChatService.Builder chatParts = ChatService.builder(config.chatSettings().withSessionSecret(sessionSecret),
                        codec, rooms, metrics)
                .broker(broker).history(history).directs(directs);
        if (redis != null) {
            chatParts.presence(sharedPresence).takeovers(redisTakeovers).away(redisAway);
        }
        service = chatParts.build();
        ChatService chat = service;
        metrics.gauge("wschat.connections", "Open WebSocket connections", chat::sessionCount);
        metrics.gauge("wschat.rooms", "Rooms with members on this node", rooms::roomCount);
        metrics.gauge("wschat.sessions.detached", "Dropped sessions kept for a resume", chat::detachedCount);
        metrics.gauge("wschat.eventloop.pending.tasks", "Tasks queued on the worker event loops",
                () -> EventLoops.pendingTasks(workerGroup));
        metrics.gauge("wschat.ready", "1 while ready for new connections, 0 while starting or draining",
                () -> readiness.isReady() ? 1 : 0);

        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 4_096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // The high water mark is the per-connection cap on queued bytes: SlowConsumerHandler cuts off past it.
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                        Math.min(32 * 1024, config.maxQueuedBytes() / 2), config.maxQueuedBytes()))
                .childHandler(new ChatServerInitializer(config, service, codec,
                        new HttpRequestHandler(new StaticFiles(), metrics, readiness, config.adminPort().isEmpty()),
                        allChannels, metrics, tls, authenticator));
        try {
            serverChannel = bootstrap.bind(config.host(), config.port()).sync().channel();
            if (config.adminPort().isPresent()) {
                adminChannel = new ServerBootstrap()
                        .group(bossGroup, workerGroup)
                        .channel(channelType)
                        .option(ChannelOption.SO_REUSEADDR, true)
                        .childHandler(new AdminServerInitializer(new AdminHandler(metrics)))
                        .bind(config.adminHost(), config.adminPort().get()).sync().channel();
            }
        } catch (InterruptedException | RuntimeException e) {
            if (serverChannel != null) {
                serverChannel.close().awaitUninterruptibly();
                serverChannel = null;
            }
            shutdownGroups();
            if (sharedPresence != null) {
                sharedPresence.close();
            }
            if (redis != null) {
                redis.close();
            }
            throw e;
        }
        LOG.info("wschat listening on {}://{}:{}/ (transport {}, {} worker threads)", tls != null ? "wss" : "ws",
                config.host(), port(), transport, workers);
        if (tls != null || authenticator != null || !config.allowedOrigins().isEmpty()) {
            LOG.info("wschat security: tls {}, token algorithms {}, allowed origins {}", tls != null ? "on" : "off",
                    authenticator != null ? authenticator.algorithms() : "none (authentication off)",
                    config.allowedOrigins().isEmpty() ? "all" : config.allowedOrigins());
        }
        if (adminChannel != null) {
            LOG.info("wschat admin listening on http://{}:{}/metrics", config.adminHost(), adminPort());
        }
        readiness.ready();
        return this;
    }

    /** The port the server is bound to. */
    public int port() {
        requireStarted();
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /**
     * The port the admin listener ({@code --admin-port}) is bound to.
     *
     * @throws IllegalStateException when not started or started without {@code --admin-port}
     */
    public int adminPort() {
        requireStarted();
        if (adminChannel == null) {
            throw new IllegalStateException("no admin listener: --admin-port not set");
        }
        return ((InetSocketAddress) adminChannel.localAddress()).getPort();
    }

    /** The transport in use: {@code io_uring}, {@code epoll} or {@code nio}. */
    public String transport() {
        requireStarted();
        return transport;
    }

    /** The server's metrics. */
    public ServerMetrics metrics() {
        requireStarted();
        return metrics;
    }

    /** The chat service, for diagnostics and tests. */
    public ChatService service() {
        requireStarted();
        return service;
    }

    /**
     * Drains and stops: stops accepting, sends every WebSocket client close 1001 after what was queued
     * for it, waits up to the drain timeout for connections to close, then stops the event loops.
     * Safe to call more than once.
     */
    public void stop() {
        if (!started.get() || !stopped.compareAndSet(false, true)) {
            return;
        }
        readiness.draining();
        awaitUnreadyDelay();
        long deadline = System.nanoTime() + config.drainTimeout().toNanos();
        LOG.info("wschat draining {} connections", allChannels.size());
        serverChannel.close().awaitUninterruptibly();
        service.drain();
        // Each worker loop finishes the message it may be handling; then every message accepted is stored and
        // published, which queues its deliveries on every member's loop, before any close frame is queued behind
        // them: nothing accepted is cut off.
        awaitLoops(deadline);
        while (!service.settled() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        awaitLoops(deadline);
        for (Channel ch : allChannels) {
            if (Session.of(ch) != null) {
                // Queued behind everything already written to this channel, so those messages go first. The
                // socket closes when the client answers the close frame (closing it at once could reset a client
                // still sending, destroying the frame unread), or at the drain deadline.
                ch.writeAndFlush(new CloseWebSocketFrame(CloseCodes.GOING_AWAY, SHUTDOWN_REASON));
            } else {
                ch.close();
            }
        }
        long remaining = Math.max(0, deadline - System.nanoTime());
        if (!allChannels.newCloseFuture().awaitUninterruptibly(remaining, TimeUnit.NANOSECONDS)) {
            LOG.warn("wschat drain timeout passed with {} connections open; closing them", allChannels.size());
            allChannels.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
        if (adminChannel != null) {
            // Scrapes keep working through the drain, so the drain itself can be watched.
            adminChannel.close().awaitUninterruptibly();
        }
        broker.close();
        directs.close();
        if (redis != null) {
            redisTakeovers.close();
            redisAway.close();
            sharedPresence.close();
        }
        history.close();
        if (redis != null) {
            redis.close();
        }
        metrics.close();
        shutdownGroups();
        service.close();
        LOG.info("wschat stopped");
        terminated.countDown();
    }

    /** Waits until each worker loop has run what was queued on it before now (or the deadline passed). */
    private void awaitLoops(long deadline) {
        for (EventExecutor loop : workerGroup) {
            if (!loop.inEventLoop()) {
                loop.submit(() -> { }).awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()),
                        TimeUnit.NANOSECONDS);
            }
        }
    }

    /** Keeps serving {@code /ready} as 503 for a while, so a load balancer stops sending clients first. */
    private void awaitUnreadyDelay() {
        if (config.unreadyDelay().isZero()) {
            return;
        }
        LOG.info("wschat not ready; waiting {} ms before closing the listener", config.unreadyDelay().toMillis());
        try {
            Thread.sleep(config.unreadyDelay().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void shutdownGroups() {
        if (bossGroup != null) {
            bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
        if (workerGroup != null) {
            workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
    }

    /**
     * Waits until {@link #stop()} has finished.
     *
     * @throws InterruptedException when interrupted while waiting
     */
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    private void requireStarted() {
        if (!started.get() || serverChannel == null) {
            throw new IllegalStateException("start() not called");
        }
    }

    /**
     * The resume-token key: {@code --session-secret}, else, for one node that keeps its history on disk, the key kept
     * in the data directory (so sessions survive a restart), else {@code null} (random per process).
     */
    private static String sessionSecret(ServerConfig config) {
        if (config.sessionSecret() != null || config.resumeWindow().isZero() || config.redis().isPresent()
                || config.historyKind() == HistoryKind.NONE) {
            return config.sessionSecret();
        }
        return SessionSecretFile.readOrCreate(config.dataDir());
    }

    /** The configured history; a data directory or database that cannot be used fails here, naming the file. */
    private static History openHistory(ServerConfig config) {
        if (config.historyKind() == HistoryKind.NONE) {
            return new InMemoryHistory(InMemoryHistory.MESSAGES_PER_ROOM, config.historyRooms(), config.historyMaxAge(),
                    HistorySettings.DEFAULT_DEDUP_WINDOW, Clock.systemUTC());
        }
        History opened = new SqliteHistory(config.historySettings());
        LOG.info("wschat history in {}", config.dataDir().toAbsolutePath().resolve("wschat.db"));
        return opened;
    }

    /**
     * History, broker, presence, direct messages, takeovers and the sessions away on Redis ({@code --redis}), each
     * on the node's one {@link RedisConnections}; the connections open in the background, so a node starts while
     * Redis is down and {@code /ready} answers 503 until both connections are up.
     */
    private void openRedis(RoomRegistry rooms) {
        redis = new RedisConnections(config.redis().orElseThrow(), config.historyQueue(), metrics);
        RedisHistory shared = new RedisHistory(redis, config.historySettings());
        history = shared;
        broker = new RedisBroker(redis, shared, rooms, metrics);
        // Relayed direct messages go to the service, made once this returns: none arrive before a session subscribes.
        // Takeovers are on a channel subscribed at once, so one may come before the service exists (nothing to end).
        directs = new RedisDirects(redis, dm -> service.deliverRelayed(dm), metrics);
        redisTakeovers = new RedisTakeovers(redis, (userId, resumeKey) -> {
            ChatService chat = service;
            if (chat != null) {
                chat.resumedElsewhere(userId, resumeKey);
            }
        });
        redisAway = new RedisAwayRegistry(redis);
        sharedPresence = new RedisPresence(redis, UUID.randomUUID().toString(), PresenceTimings.DEFAULTS);
        readiness.requires(redis::up);
        LOG.info("wschat history and rooms shared through Redis at {}", redis.where());
        redis.start();
        sharedPresence.start();
    }

    /**
     * Runs the server until SIGTERM or SIGINT, then drains and exits 0; exits 1 when it cannot start, 2 when its data
     * directory cannot be used.
     *
     * @param config the configuration ({@link Main} has chosen the log layout already)
     */
    static void run(ServerConfig config) {
        ChatServer server = new ChatServer(config);
        // Installed before start(): a SIGTERM during start-up (a deploy rolled back at once) waits for the
        // start to finish, then drains and exits 0 like any other; a start that failed exits 1 from here.
        CountDownLatch startup = new CountDownLatch(1);
        AtomicBoolean running = new AtomicBoolean();
        Signals.onTermination(() -> {
            LOG.info("wschat received a termination signal");
            try {
                startup.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (running.get()) {
                server.stop();
                Signals.exit(0);
            }
        });
        LOG.info("wschat starting on {}:{}", config.host(), config.port());
        try {
            server.start();
            running.set(true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.error("wschat interrupted while starting");
            System.exit(1);
        } catch (HistoryOpenException e) {
            // A configuration problem (the data directory or its database), told in words: exit 2 as for options.
            System.err.println("wschat: " + e.getMessage());
            LOG.error("wschat could not open its history: {}", e.getMessage());
            System.exit(2);
        } catch (RuntimeException e) {
            LOG.error("wschat could not start on {}:{}: {}", config.host(), config.port(), e.toString());
            System.exit(1);
        } finally {
            startup.countDown();
        }
        try {
            server.awaitTermination();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
