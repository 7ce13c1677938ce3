package dev.wschat.server.limits;

import dev.wschat.server.metrics.ServerMetrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admits WebSocket upgrade requests within the connection limits (in total, per IP address, and new
 * connections per second per IP address: the client's, from {@code X-Forwarded-For} behind a trusted proxy,
 * see {@link TrustedProxies}) and answers the rest with HTTP 503 and {@code Retry-After}.
 * Plain HTTP requests (the client's files, health checks, metrics) pass unlimited. Shared by every
 * connection; sits after the HTTP aggregator, before the HTTP handler, and leaves the pipeline once the upgrade
 * completed ({@link UpgradeCleanup}): the slot is given back by a listener on the channel's close.
 */
@ChannelHandler.Sharable
public final class ConnectionLimitHandler extends ChannelInboundHandlerAdapter implements ChannelFutureListener {
    private static final Logger LOG = LogManager.getLogger(ConnectionLimitHandler.class);
    /**
     * What an admitted connection counts against: the client's address as the limits saw it (behind a trusted proxy,
     * from its X-Forwarded-For), or the remote address's text when there is none. One attribute for both: each costs
     * every connection about 32 B.
     */
    private static final AttributeKey<Object> ADMITTED = AttributeKey.valueOf("wschat.admittedAddress");
    /** How often address entries with no connections and a full bucket are forgotten. */
    private static final long SWEEP_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Entries past which a sweep runs at once, whatever the interval. */
    private static final int SWEEP_SIZE = 100_000;

    private final LimitSettings limits;
    private final ServerMetrics metrics;
    private final AtomicInteger connections = new AtomicInteger();
    private final Map<Object, AddressState> addresses = new ConcurrentHashMap<>();
    private final AtomicLong lastSweep = new AtomicLong(System.nanoTime());

    /**
     * Creates the handler shared by every connection.
     *
     * @param limits  the connection limits and the trusted proxies
     * @param metrics counts refusals
     */
    public ConnectionLimitHandler(LimitSettings limits, ServerMetrics metrics) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** WebSocket connections currently admitted. */
    public int connections() {
        return connections.get();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpRequest request && isUpgrade(request) && !ctx.channel().hasAttr(ADMITTED)) {
            ServerMetrics.Reason refused = admit(ctx.channel(), request, System.nanoTime());
            if (refused != null) {
                metrics.rejected(refused);
                LOG.debug("[{}] refused with 503: {} from {}", ctx.channel().id(), refused.tag(),
                        ctx.channel().remoteAddress());
                request.release();
                refuse(ctx, refused);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    /**
     * The client's address as the limits saw it (behind a trusted proxy, from its X-Forwarded-For), while the
     * connection is admitted; {@code null} before, after, or when there is none.
     *
     * @param ch the connection
     * @return the client's address, or {@code null}
     */
    public static InetAddress clientAddress(Channel ch) {
        return ch.hasAttr(ADMITTED) && ch.attr(ADMITTED).get() instanceof InetAddress client ? client : null;
    }

    /** The channel closed: gives its admission back. */
    @Override
    public void operationComplete(ChannelFuture future) {
        Object key = future.channel().attr(ADMITTED).getAndSet(null);
        if (key != null) {
            release(key, System.nanoTime());
        }
    }

    private ServerMetrics.Reason admit(Channel ch, FullHttpRequest request, long now) {
        int max = limits.maxConnections();
        int n = connections.incrementAndGet();
        if (max > 0 && n > max) {
            connections.decrementAndGet();
            return ServerMetrics.Reason.CONNECTION_LIMIT;
        }
        InetAddress client = limits.trustedProxies().client(ch.remoteAddress(), request.headers());
        Object key = client != null ? client : String.valueOf(ch.remoteAddress());
        ServerMetrics.Reason[] refused = new ServerMetrics.Reason[1];
        addresses.compute(key, (k, state) -> {
            AddressState s = state != null ? state : new AddressState(limits, now);
            if (limits.maxConnectionsPerAddress() > 0 && s.connections >= limits.maxConnectionsPerAddress()) {
                refused[0] = ServerMetrics.Reason.CONNECTION_LIMIT;
            } else if (s.bucket != null && !s.bucket.tryAcquire(now)) {
                refused[0] = ServerMetrics.Reason.CONNECTION_RATE;
            } else {
                s.connections++;
            }
            return s;
        });
        if (refused[0] != null) {
            connections.decrementAndGet();
        } else {
            ch.attr(ADMITTED).set(key);
            // a close listener rather than channelInactive: the handler leaves the pipeline after the upgrade. This
            // handler is the listener (no object per connection): 48 B for the listener list against 64 B of context
            ch.closeFuture().addListener(this);
        }
        sweepIfDue(now);
        return refused[0];
    }

    private void release(Object key, long now) {
        connections.decrementAndGet();
        addresses.computeIfPresent(key, (k, s) -> {
            s.connections--;
            return s.isIdle(now) ? null : s;
        });
    }

    private void sweepIfDue(long now) {
        long last = lastSweep.get();
        if ((now - last < SWEEP_INTERVAL_NANOS && addresses.size() < SWEEP_SIZE) || !lastSweep.compareAndSet(last, now)) {
            return;
        }
        for (Object key : addresses.keySet()) {
            addresses.computeIfPresent(key, (k, s) -> s.isIdle(now) ? null : s);
        }
    }

    private static boolean isUpgrade(FullHttpRequest request) {
        return request.headers().contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }

    private static void refuse(ChannelHandlerContext ctx, ServerMetrics.Reason reason) {
        String body = reason == ServerMetrics.Reason.CONNECTION_RATE
                ? "Too many new connections from your address; retry later\n"
                : "The server is at its connection limit; retry later\n";
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.SERVICE_UNAVAILABLE, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .set(HttpHeaderNames.RETRY_AFTER, reason == ServerMetrics.Reason.CONNECTION_RATE ? "1" : "5")
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HttpUtil.setContentLength(response, response.content().readableBytes());
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    /** One address's open connections and new-connection bucket; guarded by the map's compute. */
    private static final class AddressState {
        private final TokenBucket bucket;
        private int connections;

        AddressState(LimitSettings limits, long now) {
            this.bucket = limits.connectionRate() > 0
                    ? new TokenBucket(limits.connectionRate(), limits.connectionBurst(), now) : null;
        }

        boolean isIdle(long now) {
            return connections <= 0 && (bucket == null || bucket.isFull(now));
        }
    }
}
