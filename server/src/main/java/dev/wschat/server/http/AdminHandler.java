package dev.wschat.server.http;

import dev.wschat.server.metrics.ServerMetrics;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.Objects;

/**
 * Answers the admin listener ({@code --admin-port}): {@code /metrics} for Prometheus, anything else a 404; the
 * end of the admin pipeline, so it also logs and closes on errors.
 */
@ChannelHandler.Sharable
public final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LogManager.getLogger(AdminHandler.class);

    private final ServerMetrics metrics;

    /**
     * Creates the handler.
     *
     * @param metrics served at {@code /metrics}
     */
    public AdminHandler(ServerMetrics metrics) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        HttpRequestHandler.respond(ctx, request, route(request));
    }

    private FullHttpResponse route(FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            return HttpRequestHandler.text(HttpResponseStatus.BAD_REQUEST, "Bad request\n");
        }
        if (!HttpMethod.GET.equals(request.method()) && !HttpMethod.HEAD.equals(request.method())) {
            FullHttpResponse response = HttpRequestHandler.text(HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "Method not allowed\n");
            response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            return response;
        }
        if ("/metrics".equals(new QueryStringDecoder(request.uri()).path())) {
            return HttpRequestHandler.metrics(metrics);
        }
        return HttpRequestHandler.text(HttpResponseStatus.NOT_FOUND, "Not found\n");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("[{}] admin connection failed: {}", ctx.channel().id(), cause.toString());
        ctx.close();
    }
}
