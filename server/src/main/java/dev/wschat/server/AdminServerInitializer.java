package dev.wschat.server;

import dev.wschat.server.http.AdminHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;

import java.util.Objects;
import java.util.concurrent.TimeUnit;

/** Composes the pipeline of the admin listener ({@code --admin-port}): plain HTTP, {@code /metrics} only. */
final class AdminServerInitializer extends ChannelInitializer<SocketChannel> {
    /** Idle time after which an admin connection is closed: a scraper reconnects, a stuck client is dropped. */
    static final int IDLE_SECONDS = 60;

    private final AdminHandler handler;

    AdminServerInitializer(AdminHandler handler) {
        this.handler = Objects.requireNonNull(handler, "handler");
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast("idle", new ReadTimeoutHandler(IDLE_SECONDS, TimeUnit.SECONDS));
        p.addLast("http-codec", new HttpServerCodec(ChatServerInitializer.MAX_INITIAL_LINE_BYTES,
                ChatServerInitializer.MAX_HEADER_BYTES, ChatServerInitializer.MAX_HEADER_BYTES));
        p.addLast("http-aggregator", new HttpObjectAggregator(ChatServerInitializer.MAX_HTTP_CONTENT_BYTES));
        p.addLast("admin", handler);
    }
}
