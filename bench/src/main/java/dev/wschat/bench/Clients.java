package dev.wschat.bench;

import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.JsonCodec;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The client side of a run: one event-loop group (epoll where available), the connections made on it,
 * their per-loop statistics, the server nodes connections are spread over (round-robin) and the local source
 * addresses they come from.
 */
final class Clients implements AutoCloseable {
    /** Microseconds since the run started: the clock of the send timestamps in bench messages. */
    private final long epochNanos = System.nanoTime();
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    /** One server node: where to connect and what the upgrade request names. */
    record Node(InetSocketAddress remote, String path, String hostHeader) {
    }

    private final List<Node> nodes = new ArrayList<>();
    private final List<InetAddress> sources = new ArrayList<>();
    private final Map<EventLoop, LoopStats> stats = new ConcurrentHashMap<>();
    /**
     * This run's id, in every bench message's marker: a message of another run (replayed to a joiner from a
     * server's history) is not mistaken for one of this run's.
     */
    final int runId = ThreadLocalRandom.current().nextInt(1, 1_000_000_000);
    /** What the connections speak ({@code --wire}); set before the first connection is made. */
    volatile Wire wire = Wire.WSCHAT;
    /** Whether senders ask for acks ({@code --ack}); set before the first chat is sent. */
    volatile boolean acks;
    final Dialect dialect;
    /** Encodes what the clients send: the wire format lives in the protocol module. */
    final JsonCodec codec = new JsonCodec();
    final String transport;
    private int nextSource;
    private int nextNode;

    Clients(URI url, Dialect dialect, int threads, int sourceAddresses, String transport) throws UnknownHostException {
        this(List.of(url), dialect, threads, sourceAddresses, transport);
    }

    Clients(List<URI> urls, Dialect dialect, int threads, int sourceAddresses, String transport) throws UnknownHostException {
        this.dialect = dialect;
        this.transport = resolveTransport(transport);
        IoHandlerFactory io = switch (this.transport) {
            // a completion per connection can arrive at once: Netty's default queue (4,096) overflowed here
            case "io_uring" -> IoUringIoHandler.newFactory(new IoUringIoHandlerConfig().setCqSize(32_768));
            case "epoll" -> EpollIoHandler.newFactory();
            default -> NioIoHandler.newFactory();
        };
        this.group = new MultiThreadIoEventLoopGroup(threads, io);
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("--url: at least one server");
        }
        for (URI url : urls) {
            int port = url.getPort() > 0 ? url.getPort() : 80;
            nodes.add(new Node(new InetSocketAddress(InetAddress.getByName(url.getHost()), port),
                    url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath(),
                    url.getHost() + ":" + port));
        }
        if (sourceAddresses > 1) {
            for (Node n : nodes) {
                if (!n.remote().getAddress().isLoopbackAddress()) {
                    throw new IllegalArgumentException("--source-addresses needs a loopback server address");
                }
            }
            for (int i = 0; i < sourceAddresses; i++) {
                sources.add(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (2 + i)}));
            }
        }
        this.bootstrap = new Bootstrap().group(group)
                .channel(switch (this.transport) {
                    case "io_uring" -> IoUringSocketChannel.class;
                    case "epoll" -> EpollSocketChannel.class;
                    default -> NioSocketChannel.class;
                })
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                // small per-connection buffers: most bench connections only receive small frames
                .option(ChannelOption.SO_RCVBUF, 32 * 1024)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(8 * 1024, 32 * 1024));
    }

    /**
     * The transport to use for {@code --transport}: {@code auto} is io_uring where available, else epoll, else NIO;
     * {@code io_uring}, {@code epoll} and {@code nio} are taken as asked, or refused when not available here.
     */
    static String resolveTransport(String asked) {
        return switch (asked) {
            case "auto" -> IoUring.isAvailable() ? "io_uring" : Epoll.isAvailable() ? "epoll" : "nio";
            case "io_uring" -> {
                if (!IoUring.isAvailable()) {
                    throw new IllegalArgumentException("io_uring is not available: " + IoUring.unavailabilityCause());
                }
                yield asked;
            }
            case "epoll" -> {
                if (!Epoll.isAvailable()) {
                    throw new IllegalArgumentException("epoll is not available: " + Epoll.unavailabilityCause());
                }
                yield asked;
            }
            case "nio" -> asked;
            default -> throw new IllegalArgumentException("--transport must be auto, io_uring, epoll or nio");
        };
    }

    /** Microseconds on the run's clock. */
    long nowMicros() {
        return (System.nanoTime() - epochNanos) / 1_000;
    }

    /** A {@link System#nanoTime()} reading on the run's microsecond clock. */
    long nowMicrosAt(long nanoTime) {
        return (nanoTime - epochNanos) / 1_000;
    }

    /** The statistics of an event loop, created on first use. */
    LoopStats stats(EventLoop loop) {
        return stats.computeIfAbsent(loop, l -> new LoopStats());
    }

    /** Every loop's statistics so far. */
    Iterable<LoopStats> allStats() {
        return stats.values();
    }

    /** How many server nodes connections are spread over. */
    int nodes() {
        return nodes.size();
    }

    /**
     * The HTTP upgrade request to a node, with a fresh key, and {@code ?resume=TOKEN} on the path when a resume
     * token is given.
     */
    byte[] handshakeRequest(int node, String resumeToken) {
        return handshakeRequest(node, resumeToken, null);
    }

    /**
     * The HTTP upgrade request to a node as {@link #handshakeRequest(int, String)}; with {@code --wire socketio}
     * to the node's Socket.IO endpoint, the client's room (or {@code null}) as {@code room=} in the query.
     */
    byte[] handshakeRequest(int node, String resumeToken, String room) {
        Node n = nodes.get(Math.max(0, node) % nodes.size());
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        boolean socketIo = wire == Wire.SOCKETIO;
        String target = socketIo ? SocketIo.target(n.path(), room) : n.path();
        if (resumeToken != null) {
            target += (target.contains("?") ? "&" : "?") + "resume="
                    + java.net.URLEncoder.encode(resumeToken, StandardCharsets.UTF_8);
        }
        StringBuilder sb = new StringBuilder(256)
                .append("GET ").append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(n.hostHeader()).append("\r\n")
                .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
                .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(key)).append("\r\n")
                .append("Sec-WebSocket-Version: 13\r\n");
        if (dialect.subprotocol() != null && !socketIo) {
            sb.append("Sec-WebSocket-Protocol: ").append(dialect.subprotocol()).append("\r\n");
        }
        return sb.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Starts one connection, to the connection's node or (when it has none) the next node round-robin;
     * {@code conn} learns the outcome. Callable from any thread.
     */
    ChannelFuture connect(Conn conn) {
        InetSocketAddress remote;
        synchronized (nodes) {
            if (conn.node < 0) {
                conn.node = nextNode++ % nodes.size();
            }
            remote = nodes.get(conn.node % nodes.size()).remote();
        }
        Bootstrap b = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast("bench", conn);
            }
        });
        conn.connectStartNanos = System.nanoTime();
        ChannelFuture f;
        if (sources.isEmpty()) {
            f = b.connect(remote);
        } else {
            InetAddress source;
            synchronized (sources) {
                source = sources.get(nextSource++ % sources.size());
            }
            f = b.connect(remote, new InetSocketAddress(source, 0));
        }
        f.addListener(done -> {
            if (!done.isSuccess()) {
                conn.connectFailed(f.channel(), done.cause());
            }
        });
        return f;
    }

    /** Runs {@code task} on one of the loops after {@code delayNanos}; dropped once the loops shut down. */
    void schedule(Runnable task, long delayNanos) {
        try {
            group.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the run is over
        }
    }

    /** Runs {@code task} on one of the loops every {@code periodNanos}, the first after {@code delayNanos}. */
    io.netty.util.concurrent.ScheduledFuture<?> scheduleAtFixedRate(Runnable task, long delayNanos, long periodNanos) {
        return group.scheduleAtFixedRate(task, Math.max(0, delayNanos), periodNanos, TimeUnit.NANOSECONDS);
    }

    /** Runs {@code task} on every loop and waits for each; makes earlier tasks on the loops finish first. */
    void onEveryLoop(Runnable task) throws InterruptedException {
        List<Future<?>> futures = new ArrayList<>();
        for (EventExecutor e : group) {
            futures.add(e.submit(task));
        }
        for (Future<?> f : futures) {
            f.await(10, TimeUnit.SECONDS);
        }
    }

    int loops() {
        int n = 0;
        for (EventExecutor ignored : group) {
            n++;
        }
        return n;
    }

    /** Closes the given channels and waits up to {@code seconds} for them to close. */
    static void closeAll(List<Channel> channels, int seconds) {
        List<ChannelFuture> closing = new ArrayList<>(channels.size());
        for (Channel ch : channels) {
            Conn conn = ch.pipeline().get(Conn.class);
            if (conn != null && ch.isActive()) {
                ch.eventLoop().execute(() -> {
                    if (conn.active()) {
                        conn.closeNormally();
                    } else {
                        ch.close();
                    }
                });
                closing.add(ch.closeFuture());
            } else {
                closing.add(ch.close());
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (ChannelFuture f : closing) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !f.awaitUninterruptibly(left, TimeUnit.NANOSECONDS)) {
                break;
            }
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
