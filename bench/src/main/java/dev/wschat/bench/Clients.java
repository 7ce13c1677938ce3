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
 * their per-loop statistics, and the local source addresses connections are spread over.
 */
final class Clients implements AutoCloseable {
    /** Microseconds since the run started: the clock of the send timestamps in bench messages. */
    private final long epochNanos = System.nanoTime();
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final InetSocketAddress remote;
    private final List<InetAddress> sources = new ArrayList<>();
    private final Map<EventLoop, LoopStats> stats = new ConcurrentHashMap<>();
    private final String path;
    private final String hostHeader;
    final Dialect dialect;
    /** Encodes what the clients send: the wire format lives in the protocol module. */
    final JsonCodec codec = new JsonCodec();
    final String transport;
    private int nextSource;

    Clients(URI url, Dialect dialect, int threads, int sourceAddresses, String transport) throws UnknownHostException {
        this.dialect = dialect;
        this.transport = resolveTransport(transport);
        IoHandlerFactory io = switch (this.transport) {
            // a completion per connection can arrive at once: Netty's default queue (4,096) overflowed here
            case "io_uring" -> IoUringIoHandler.newFactory(new IoUringIoHandlerConfig().setCqSize(32_768));
            case "epoll" -> EpollIoHandler.newFactory();
            default -> NioIoHandler.newFactory();
        };
        this.group = new MultiThreadIoEventLoopGroup(threads, io);
        int port = url.getPort() > 0 ? url.getPort() : 80;
        this.remote = new InetSocketAddress(InetAddress.getByName(url.getHost()), port);
        this.path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        this.hostHeader = url.getHost() + ":" + port;
        if (sourceAddresses > 1) {
            if (!remote.getAddress().isLoopbackAddress()) {
                throw new IllegalArgumentException("--source-addresses needs a loopback server address");
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

    /** The HTTP upgrade request, with a fresh key. */
    byte[] handshakeRequest() {
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        StringBuilder sb = new StringBuilder(256)
                .append("GET ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(hostHeader).append("\r\n")
                .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
                .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(key)).append("\r\n")
                .append("Sec-WebSocket-Version: 13\r\n");
        if (dialect.subprotocol() != null) {
            sb.append("Sec-WebSocket-Protocol: ").append(dialect.subprotocol()).append("\r\n");
        }
        return sb.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Starts one connection; {@code conn} learns the outcome. Callable from any thread. */
    ChannelFuture connect(Conn conn) {
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
            closing.add(ch.close());
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
