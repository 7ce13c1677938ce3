package dev.wschat.server;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import java.util.Locale;

/**
 * The socket transport the event loops use. {@link #AUTO} picks epoll where available, else Java NIO;
 * io_uring is used only when asked for (docs/benchmarks.md has the figures for each, and why).
 */
public enum Transport {
    /** Epoll if available, else NIO. */
    AUTO,
    /**
     * Linux io_uring (5.14+, unless {@code kernel.io_uring_disabled}): the writes of one event-loop iteration
     * reach the kernel in one submission. Measured slower than epoll at saturation here, and under heavy
     * fan-out Netty logs "CompletionQueue overflow" warnings (handled: the kernel keeps the completions).
     */
    IO_URING,
    /** Linux epoll: one system call per socket read and write. */
    EPOLL,
    /** Java NIO, available everywhere. */
    NIO;

    /** The option value: {@code auto}, {@code io_uring}, {@code epoll} or {@code nio}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses an option value.
     *
     * @throws IllegalArgumentException for anything but the four labels
     */
    public static Transport parse(String value) {
        for (Transport t : values()) {
            if (t.label().equals(value)) {
                return t;
            }
        }
        throw new IllegalArgumentException("--transport must be auto, io_uring, epoll or nio, not " + value);
    }

    /**
     * The concrete transport to use: {@link #AUTO} resolved against this machine.
     *
     * @throws IllegalStateException when a transport asked for by name is not available here, with the reason
     */
    public Transport resolve() {
        return switch (this) {
            case AUTO -> Epoll.isAvailable() ? EPOLL : NIO;
            case IO_URING -> {
                if (!IoUring.isAvailable()) {
                    throw new IllegalStateException("io_uring is not available: " + IoUring.unavailabilityCause());
                }
                yield IO_URING;
            }
            case EPOLL -> {
                if (!Epoll.isAvailable()) {
                    throw new IllegalStateException("epoll is not available: " + Epoll.unavailabilityCause());
                }
                yield EPOLL;
            }
            case NIO -> NIO;
        };
    }

    /** The event-loop I/O handler factory of a resolved transport. */
    IoHandlerFactory ioHandlerFactory() {
        return switch (this) {
            case IO_URING -> IoUringIoHandler.newFactory();
            case EPOLL -> EpollIoHandler.newFactory();
            case NIO -> NioIoHandler.newFactory();
            case AUTO -> throw new IllegalStateException("resolve() first");
        };
    }

    /** The listening channel class of a resolved transport. */
    Class<? extends ServerChannel> serverChannelClass() {
        return switch (this) {
            case IO_URING -> IoUringServerSocketChannel.class;
            case EPOLL -> EpollServerSocketChannel.class;
            case NIO -> NioServerSocketChannel.class;
            case AUTO -> throw new IllegalStateException("resolve() first");
        };
    }
}
