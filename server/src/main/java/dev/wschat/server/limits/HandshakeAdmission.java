package dev.wschat.server.limits;

import dev.wschat.server.metrics.ServerMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Admission under overload: bounds the connections each event loop holds before their WebSocket handshake is
 * answered (accepted, request not yet read or being verified). A connection accepted past the bound gets no HTTP
 * pipeline: one handler reads its request head and answers a WebSocket upgrade with HTTP 503 and
 * {@code Retry-After}, so a reconnect storm is shed at the cost of a few hundred bytes instead of queueing behind
 * the handshakes already in progress, whose latency would grow for everyone. A plain HTTP request (files, health)
 * read there is given the full pipeline after all: only handshakes are shed. Shared by every connection; the
 * counts are per event loop and touched only on that loop.
 */
public final class HandshakeAdmission {
    private static final Logger LOG = LogManager.getLogger(HandshakeAdmission.class);
    /** What a shed handshake is told to wait, in seconds; clients add their own jitter. */
    public static final int RETRY_AFTER_SECONDS = 1;
    /** The longest request head the shedding handler reads before it gives up and closes. */
    static final int MAX_HEAD_BYTES = 16 * 1024;
    private static final byte[] REFUSAL = refusal();

    private final int maxPerLoop;
    private final long timeoutNanos;
    private final ServerMetrics metrics;
    private final Map<EventExecutor, int[]> pending = new ConcurrentHashMap<>();

    /**
     * Creates the admission shared by every connection.
     *
     * @param maxPerLoop handshakes in progress per event loop, 0 = no bound
     * @param timeout    how long a shed connection may take to send its request head
     * @param metrics    counts shed handshakes ({@code handshake_overload})
     */
    public HandshakeAdmission(int maxPerLoop, Duration timeout, ServerMetrics metrics) {
        if (maxPerLoop < 0) {
            throw new IllegalArgumentException("maxPerLoop must be at least 0: " + maxPerLoop);
        }
        this.maxPerLoop = maxPerLoop;
        this.timeoutNanos = Objects.requireNonNull(timeout, "timeout").toNanos();
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** Whether there is a bound at all. */
    public boolean bounded() {
        return maxPerLoop > 0;
    }

    /**
     * Takes a slot on the channel's event loop (call from that loop, in the initializer); false when the loop is
     * at its bound. An admitted channel must carry {@link #slot()} in its pipeline, which gives the slot back.
     */
    public boolean tryAdmit(Channel ch) {
        int[] n = pending.computeIfAbsent(ch.eventLoop(), k -> new int[1]);
        if (n[0] >= maxPerLoop) {
            return false;
        }
        n[0]++;
        return true;
    }

    /** Handshakes in progress on {@code loop}; for tests. */
    int pending(EventExecutor loop) {
        int[] n = pending.get(loop);
        return n == null ? 0 : n[0];
    }

    /** The per-connection handler that gives the slot back once the 101 is written or the channel closes. */
    public ChannelHandler slot() {
        return new Slot();
    }

    /**
     * The one handler of a connection accepted past the bound: answers an upgrade with 503, or, for a plain HTTP
     * request, calls {@code fullPipeline} and hands it the bytes read.
     */
    public ChannelHandler shed(Consumer<ChannelPipeline> fullPipeline) {
        return new Shed(Objects.requireNonNull(fullPipeline, "fullPipeline"));
    }

    private void release(Channel ch) {
        int[] n = pending.get(ch.eventLoop());
        if (n != null && n[0] > 0) {
            n[0]--;
        }
    }

    private static byte[] refusal() {
        String body = "The server is busy with other handshakes; retry later\n";
        return ("HTTP/1.1 503 Service Unavailable\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Retry-After: " + RETRY_AFTER_SECONDS + "\r\n"
                + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n"
                + "Connection: close\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8);
    }

    /** Gives one admitted connection's slot back, once. */
    private final class Slot extends ChannelDuplexHandler {
        private boolean released;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            boolean upgraded = msg instanceof HttpResponse response
                    && HttpResponseStatus.SWITCHING_PROTOCOLS.equals(response.status());
            super.write(ctx, msg, promise);
            if (upgraded) {
                ctx.pipeline().remove(this);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            releaseOnce(ctx);
            super.channelInactive(ctx);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            releaseOnce(ctx);
        }

        private void releaseOnce(ChannelHandlerContext ctx) {
            if (!released) {
                released = true;
                release(ctx.channel());
            }
        }
    }

    /** Reads a request head without an HTTP codec and sheds it when it is an upgrade. */
    private final class Shed extends ChannelInboundHandlerAdapter {
        private final Consumer<ChannelPipeline> fullPipeline;
        private ByteBuf head;
        private ScheduledFuture<?> timeout;

        Shed(Consumer<ChannelPipeline> fullPipeline) {
            this.fullPipeline = fullPipeline;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            timeout = ctx.executor().schedule(() -> {
                metrics.rejected(ServerMetrics.Reason.HANDSHAKE_TIMEOUT);
                ctx.close();
            }, timeoutNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            if (head == null) {
                head = ctx.alloc().buffer(Math.max(512, in.readableBytes()));
            }
            head.writeBytes(in);
            in.release();
            int end = endOfHead(head);
            if (end < 0) {
                if (head.readableBytes() > MAX_HEAD_BYTES) {
                    LOG.debug("[{}] request head past {} bytes while shedding; closing", ctx.channel().id(),
                            MAX_HEAD_BYTES);
                    ctx.close();
                }
                return;
            }
            cancelTimeout();
            if (isUpgrade(head.toString(head.readerIndex(), end, StandardCharsets.US_ASCII))) {
                metrics.rejected(ServerMetrics.Reason.HANDSHAKE_OVERLOAD);
                LOG.debug("[{}] handshake shed with 503: its event loop is at --max-pending-handshakes",
                        ctx.channel().id());
                ctx.channel().config().setAutoRead(false);
                ctx.writeAndFlush(Unpooled.wrappedBuffer(REFUSAL)).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            // plain HTTP (files, health, metrics) is never shed: it gets the full pipeline and the bytes read
            ByteBuf bytes = head;
            head = null;
            ChannelPipeline p = ctx.pipeline();
            fullPipeline.accept(p);
            p.remove(this);
            ctx.fireChannelRead(bytes);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            cancelTimeout();
            super.channelInactive(ctx);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            cancelTimeout();
            if (head != null) {
                head.release();
                head = null;
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("[{}] closed while shedding: {}", ctx.channel().id(), cause.toString());
            ctx.close();
        }

        private void cancelTimeout() {
            if (timeout != null) {
                timeout.cancel(false);
                timeout = null;
            }
        }
    }

    /** The index just past the blank line that ends the head, relative to the reader index; -1 when not there. */
    private static int endOfHead(ByteBuf b) {
        int start = b.readerIndex();
        for (int i = start; i + 3 < b.writerIndex(); i++) {
            if (b.getByte(i) == '\r' && b.getByte(i + 1) == '\n' && b.getByte(i + 2) == '\r'
                    && b.getByte(i + 3) == '\n') {
                return i + 4 - start;
            }
        }
        return -1;
    }

    /** Whether a request head carries {@code Upgrade: websocket}. */
    static boolean isUpgrade(String head) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("upgrade")
                    && line.substring(colon + 1).toLowerCase(Locale.ROOT).contains("websocket")) {
                return true;
            }
        }
        return false;
    }
}
