package dev.wschat.server.http;

import dev.wschat.server.metrics.ServerMetrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Answers plain HTTP requests (the client's files, {@code /health}, {@code /ready}, and {@code /metrics} unless
 * an admin listener serves it) and passes WebSocket upgrade requests for {@code /} and {@code /ws} on to the
 * WebSocket handshake while the server is ready (503 otherwise); anything else is a 404.
 */
@ChannelHandler.Sharable
public final class HttpRequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    /** The Content-Security-Policy of every static file: same-origin only, no inline scripts or styles. */
    public static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private final StaticFiles files;
    private final ServerMetrics metrics;
    private final Readiness readiness;
    private final boolean serveMetrics;

    /**
     * Creates a handler that is always ready.
     *
     * @param files   the client's static files
     * @param metrics served at {@code /metrics}
     */
    public HttpRequestHandler(StaticFiles files, ServerMetrics metrics) {
        this(files, metrics, alwaysReady());
    }

    /**
     * Creates the handler.
     *
     * @param files     the client's static files
     * @param metrics   served at {@code /metrics}
     * @param readiness served at {@code /ready}; WebSocket upgrades get 503 unless ready
     */
    public HttpRequestHandler(StaticFiles files, ServerMetrics metrics, Readiness readiness) {
        this(files, metrics, readiness, true);
    }

    /**
     * Creates the handler.
     *
     * @param files        the client's static files
     * @param metrics      served at {@code /metrics} when {@code serveMetrics}
     * @param readiness    served at {@code /ready}; WebSocket upgrades get 503 unless ready
     * @param serveMetrics {@code false} when {@code /metrics} is on an admin listener ({@link AdminHandler}): a 404 here
     */
    public HttpRequestHandler(StaticFiles files, ServerMetrics metrics, Readiness readiness, boolean serveMetrics) {
        super(false);
        this.files = Objects.requireNonNull(files, "files");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.readiness = Objects.requireNonNull(readiness, "readiness");
        this.serveMetrics = serveMetrics;
    }

    private static Readiness alwaysReady() {
        Readiness r = new Readiness();
        r.ready();
        return r;
    }

    /**
     * Tells whether a request path is one of the WebSocket endpoints.
     *
     * @param path the path, without query
     * @return {@code true} for {@code /} and {@code /ws}
     */
    public static boolean isWebSocketPath(String path) {
        return "/".equals(path) || "/ws".equals(path);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        String path = new QueryStringDecoder(request.uri()).path();
        if (isUpgrade(request)) {
            if (isWebSocketPath(path) && !readiness.isReady()) {
                try {
                    respond(ctx, request, notReady());
                } finally {
                    request.release();
                }
                return;
            }
            if (isWebSocketPath(path)) {
                ctx.fireChannelRead(request);
                return;
            }
            try {
                respond(ctx, request, text(HttpResponseStatus.NOT_FOUND, "No WebSocket endpoint at " + path + "\n"));
            } finally {
                request.release();
            }
            return;
        }
        try {
            respond(ctx, request, route(request, path));
        } finally {
            request.release();
        }
    }

    private FullHttpResponse route(FullHttpRequest request, String path) {
        if (!request.decoderResult().isSuccess()) {
            return text(HttpResponseStatus.BAD_REQUEST, "Bad request\n");
        }
        boolean head = HttpMethod.HEAD.equals(request.method());
        if (!HttpMethod.GET.equals(request.method()) && !head) {
            FullHttpResponse response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "Method not allowed\n");
            response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            return response;
        }
        if ("/health".equals(path)) {
            return text(HttpResponseStatus.OK, "ok\n");
        }
        if ("/ready".equals(path)) {
            return readiness.isReady() ? text(HttpResponseStatus.OK, "ready\n") : notReady();
        }
        if ("/metrics".equals(path)) {
            return serveMetrics ? metrics(metrics) : text(HttpResponseStatus.NOT_FOUND, "Not found\n");
        }
        Optional<StaticFiles.Resource> file = files.find(path);
        if (file.isEmpty()) {
            return text(HttpResponseStatus.NOT_FOUND, "Not found\n");
        }
        StaticFiles.Resource resource = file.get();
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(resource.content()));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, resource.contentType())
                .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
                .set(HttpHeaderNames.CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
                .set("X-Content-Type-Options", "nosniff")
                .set("Referrer-Policy", "no-referrer");
        return response;
    }

    /** The Prometheus scrape of {@code metrics}. */
    static FullHttpResponse metrics(ServerMetrics metrics) {
        FullHttpResponse response = text(HttpResponseStatus.OK, metrics.scrape());
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
        return response;
    }

    private FullHttpResponse notReady() {
        FullHttpResponse response = text(HttpResponseStatus.SERVICE_UNAVAILABLE,
                readiness.state().name().toLowerCase(Locale.ROOT) + "\n");
        response.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
        return response;
    }

    /** Whether a request asks for a WebSocket upgrade: {@code Connection: Upgrade} and {@code Upgrade: websocket}. */
    private static boolean isUpgrade(FullHttpRequest request) {
        return request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && request.headers().contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }

    static FullHttpResponse text(HttpResponseStatus status, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        return response;
    }

    static void respond(ChannelHandlerContext ctx, FullHttpRequest request, FullHttpResponse response) {
        boolean keepAlive = HttpUtil.isKeepAlive(request) && request.decoderResult().isSuccess();
        HttpUtil.setContentLength(response, response.content().readableBytes());
        if (HttpMethod.HEAD.equals(request.method())) {
            response.content().clear();
        }
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response);
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.fireExceptionCaught(cause);
    }
}
