package dev.wschat.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.internal.PlatformDependent;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The server's counters and gauges, registered once in a Prometheus registry. Counters are
 * lock-free and safe to call from any event loop.
 */
public final class ServerMetrics implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(ServerMetrics.class);

    /** Why the server refused or cut off something; the {@code reason} tag of {@code wschat_rejections_total}. */
    public enum Reason {
        RATE_LIMITED, TOO_BIG, BAD_UTF8, BINARY_FRAME, PROTOCOL_ERROR, BAD_REQUEST, TOO_LONG, TOO_MANY_ROOMS,
        CONNECTION_LIMIT, CONNECTION_RATE, HANDSHAKE_TIMEOUT, IDLE_TIMEOUT, AUTH_FAILED, TOKEN_EXPIRED,
        AUTH_QUEUE_FULL, ORIGIN_REFUSED, SLOW_CONSUMER, UNAVAILABLE, HANDSHAKE_OVERLOAD, FORBIDDEN;

        /** The tag value: the name in lower case. */
        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter connectionsOpened;
    private final Counter messagesIn;
    private final Counter deliveriesOut;
    private final Counter bytesIn;
    private final Counter socketBytesIn;
    private final Counter socketBytesOut;
    private final Map<Reason, Counter> rejections = new EnumMap<>(Reason.class);
    private final JvmGcMetrics gcMetrics = new JvmGcMetrics();

    /**
     * Creates the registry with JVM memory, GC, thread and processor metrics bound, and the memory of
     * {@link ByteBufAllocator#DEFAULT}, the allocator the server's channels and room frames use.
     */
    public ServerMetrics() {
        this(ByteBufAllocator.DEFAULT);
    }

    /**
     * Creates the registry with JVM memory, GC, thread and processor metrics bound, and the memory of the
     * given Netty allocator when it reports it (every allocator Netty ships does).
     *
     * @param allocator the allocator the server's channels use
     */
    public ServerMetrics(ByteBufAllocator allocator) {
        Objects.requireNonNull(allocator, "allocator");
        connectionsOpened = Counter.builder("wschat.connections.opened").description("WebSocket connections opened")
                .register(registry);
        messagesIn = Counter.builder("wschat.messages.in").description("Client messages received").register(registry);
        deliveriesOut = Counter.builder("wschat.deliveries.out").description("Messages written to clients")
                .register(registry);
        bytesIn = Counter.builder("wschat.bytes.in").baseUnit("bytes").description("Payload bytes received")
                .register(registry);
        socketBytesIn = Counter.builder("wschat.socket.bytes.in").baseUnit("bytes")
                .description("Bytes read from client sockets, HTTP and WebSocket framing and TLS included")
                .register(registry);
        socketBytesOut = Counter.builder("wschat.socket.bytes.out").baseUnit("bytes")
                .description("Bytes written to client sockets, HTTP and WebSocket framing and TLS included")
                .register(registry);
        for (Reason reason : Reason.values()) {
            rejections.put(reason, Counter.builder("wschat.rejections").tag("reason", reason.tag())
                    .description("Requests, messages or connections refused or cut off, by reason").register(registry));
        }
        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        if (allocator instanceof ByteBufAllocatorMetricProvider provider) {
            bindNettyAllocator(provider.metric());
        } else {
            LOG.debug("Netty allocator {} reports no memory metrics; wschat.netty.memory.used.* not registered",
                    allocator.getClass().getName());
        }
        bindNettyDirectMemoryCounter();
    }

    /** The allocator's memory in use: what its pools or magazines hold, free parts of them included. */
    private void bindNettyAllocator(ByteBufAllocatorMetric metric) {
        Gauge.builder("wschat.netty.memory.used.direct", metric, ByteBufAllocatorMetric::usedDirectMemory)
                .baseUnit("bytes")
                .description("Direct memory held by Netty's buffer allocator (pooled chunks, free parts included)")
                .register(registry);
        Gauge.builder("wschat.netty.memory.used.heap", metric, ByteBufAllocatorMetric::usedHeapMemory)
                .baseUnit("bytes")
                .description("Heap memory held by Netty's buffer allocator (pooled chunks, free parts included)")
                .register(registry);
    }

    /**
     * Netty's own count of the direct memory it reserved, which it keeps only when it allocates direct buffers
     * without a cleaner ({@code PlatformDependent.usedDirectMemory()} is -1 otherwise, and the gauge is left out).
     */
    private void bindNettyDirectMemoryCounter() {
        if (PlatformDependent.usedDirectMemory() >= 0) {
            Gauge.builder("wschat.netty.direct.memory.reserved", PlatformDependent::usedDirectMemory)
                    .baseUnit("bytes")
                    .description("Direct memory Netty reserved for buffers without a cleaner, against its limit "
                            + "(-Dio.netty.maxDirectMemory)")
                    .register(registry);
        } else {
            LOG.debug("Netty does not count its direct memory here; wschat.netty.direct.memory.reserved not registered");
        }
    }

    /**
     * Registers a gauge read when scraped.
     *
     * @param name        the meter name, dotted ({@code wschat.connections})
     * @param description what it measures
     * @param value       read on each scrape; must be cheap and thread-safe
     */
    public void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).register(registry);
    }

    /**
     * Registers {@code wschat.history.writable}: 1 while the history store can write, 0 from a failed write (a full
     * disk) until a write succeeds again.
     */
    public void historyWritable(BooleanSupplier writable) {
        Objects.requireNonNull(writable, "writable");
        Gauge.builder("wschat.history.writable", () -> writable.getAsBoolean() ? 1 : 0)
                .description("1 while the history store can write, 0 after a failed write until one succeeds")
                .register(registry);
    }

    /**
     * Registers a counter.
     *
     * @param name        the meter name, dotted ({@code wschat.redis.reconnects}; Prometheus adds {@code _total})
     * @param description what it counts
     * @return the counter, safe to increment from any thread
     */
    public Counter counter(String name, String description) {
        return Counter.builder(name).description(description).register(registry);
    }

    /** Counts an opened WebSocket connection. */
    public void connectionOpened() {
        connectionsOpened.increment();
    }

    /** Counts a received client message of {@code bytes} payload bytes. */
    public void messageIn(int bytes) {
        messagesIn.increment();
        bytesIn.increment(bytes);
    }

    /** Counts {@code n} bytes read from a client socket. */
    public void socketBytesIn(long n) {
        socketBytesIn.increment(n);
    }

    /** Counts {@code n} bytes written to a client socket. */
    public void socketBytesOut(long n) {
        socketBytesOut.increment(n);
    }

    /** Counts {@code n} messages written to clients. */
    public void deliveries(int n) {
        deliveriesOut.increment(n);
    }

    /** Counts one rejection. */
    public void rejected(Reason reason) {
        rejections.get(reason).increment();
    }

    /** The current value of a rejection counter. */
    public double rejections(Reason reason) {
        return rejections.get(reason).count();
    }

    /** Every meter in the Prometheus text format. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        gcMetrics.close();
        registry.close();
    }
}
