package dev.wschat.server.limits;

import dev.wschat.protocol.CloseCodes;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Heartbeats with one timer per event loop, not one per connection: once the handshake completed,
 * {@link Heartbeats#start} puts one of these at the head of the pipeline (so every byte read, pongs included,
 * counts as life) and links it into its loop's list. The loop's timer ticks {@value #TICKS_PER_INTERVAL} times
 * per interval and counts each connection's silent ticks: a connection silent for one interval is pinged, one
 * silent for two is closed 1001 {@code "Idle timeout"}; a tick's granularity makes either happen up to a quarter
 * interval later than the exact time. Replaces Netty's {@code IdleStateHandler}, its scheduled task and a second
 * handler context on every connection (about 240 B each). One instance per connection, on its event loop only.
 */
public final class HeartbeatHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LogManager.getLogger(HeartbeatHandler.class);
    /** The pipeline name of the handler. */
    public static final String NAME = "heartbeat";
    /** Timer ticks per heartbeat interval: the ping and the close come at most a quarter interval late. */
    static final int TICKS_PER_INTERVAL = 4;
    /** Silent ticks after which the connection is pinged: more than one interval of silence. */
    private static final int PING_AT = TICKS_PER_INTERVAL + 1;
    /** Silent ticks after which the connection is closed: more than two intervals of silence. */
    private static final int CLOSE_AT = 2 * TICKS_PER_INTERVAL + 1;

    private final Wheel wheel;
    private Channel channel;
    private HeartbeatHandler prev;
    private HeartbeatHandler next;
    private boolean linked;
    private int silentTicks;

    private HeartbeatHandler(Wheel wheel) {
        this.wheel = wheel;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        wheel.link(this);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        wheel.unlink(this);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        silentTicks = 0;
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        wheel.unlink(this);
        ctx.fireChannelInactive();
    }

    /** One tick of this connection's silence; false when it is done with (closed, or closing). */
    private boolean tick() {
        if (!channel.isActive()) {
            return false;
        }
        int silent = ++silentTicks;
        if (silent == PING_AT) {
            // from the tail, through the WebSocket encoder: this handler sits before it, at the head
            channel.writeAndFlush(new PingWebSocketFrame(), channel.voidPromise());
        } else if (silent >= CLOSE_AT) {
            wheel.metrics.rejected(ServerMetrics.Reason.IDLE_TIMEOUT);
            LOG.debug("[{}] closed: silent for two heartbeat intervals", channel.id());
            CloseFrames.close(channel, CloseCodes.GOING_AWAY, "Idle timeout");
            return false;
        }
        return true;
    }

    /**
     * The heartbeat settings of a server and its timers, one per event loop, started with the loop's first
     * connection. Shared by every connection.
     */
    public static final class Heartbeats {
        private final long intervalNanos;
        private final ServerMetrics metrics;
        private final Map<EventExecutor, Wheel> wheels = new ConcurrentHashMap<>();

        /**
         * Creates the heartbeats of one server.
         *
         * @param interval the idle time before a ping; {@link Duration#ZERO} turns heartbeats off
         * @param metrics  counts connections closed for silence
         */
        public Heartbeats(Duration interval, ServerMetrics metrics) {
            this.intervalNanos = Objects.requireNonNull(interval, "interval").toNanos();
            this.metrics = Objects.requireNonNull(metrics, "metrics");
            if (intervalNanos < 0) {
                throw new IllegalArgumentException("interval must not be negative: " + interval);
            }
        }

        /** Whether heartbeats are on. */
        public boolean enabled() {
            return intervalNanos > 0;
        }

        /**
         * Starts heartbeats on a connection whose handshake just completed: a handler at the head of its pipeline,
         * on its loop's timer. Nothing when heartbeats are off. On the connection's event loop.
         *
         * @param pipeline the connection's pipeline
         */
        public void start(ChannelPipeline pipeline) {
            if (!enabled()) {
                return;
            }
            EventExecutor loop = pipeline.channel().eventLoop();
            Wheel wheel = wheels.computeIfAbsent(loop, l -> new Wheel(l, intervalNanos / TICKS_PER_INTERVAL, metrics));
            pipeline.addFirst(NAME, new HeartbeatHandler(wheel));
        }

        /** Connections on heartbeats now, on every loop (read off-loop: a snapshot). */
        int connections() {
            return wheels.values().stream().mapToInt(w -> w.size).sum();
        }
    }

    /** One event loop's connections, an intrusive list walked by one timer. Confined to that loop. */
    private static final class Wheel {
        private final EventExecutor loop;
        private final long tickNanos;
        private final ServerMetrics metrics;
        private HeartbeatHandler head;
        private volatile int size;
        private ScheduledFuture<?> timer;

        Wheel(EventExecutor loop, long tickNanos, ServerMetrics metrics) {
            this.loop = loop;
            this.tickNanos = Math.max(1, tickNanos);
            this.metrics = metrics;
        }

        void link(HeartbeatHandler h) {
            if (h.linked) {
                return;
            }
            h.linked = true;
            h.prev = null;
            h.next = head;
            if (head != null) {
                head.prev = h;
            }
            head = h;
            size++;
            if (timer == null) {
                timer = loop.scheduleAtFixedRate(this::tick, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
            }
        }

        void unlink(HeartbeatHandler h) {
            if (!h.linked) {
                return;
            }
            h.linked = false;
            if (h.prev != null) {
                h.prev.next = h.next;
            } else {
                head = h.next;
            }
            if (h.next != null) {
                h.next.prev = h.prev;
            }
            h.prev = null;
            h.next = null;
            size--;
            if (head == null && timer != null) {
                // an idle loop keeps no timer: the next connection starts it again
                timer.cancel(false);
                timer = null;
            }
        }

        private void tick() {
            HeartbeatHandler h = head;
            while (h != null) {
                HeartbeatHandler next = h.next;
                if (!h.tick()) {
                    unlink(h);
                }
                h = next;
            }
        }
    }
}
