package dev.wschat.server;

import dev.wschat.protocol.JsonCodec;
import dev.wschat.server.broker.LocalBroker;
import dev.wschat.server.chat.ChatService;
import dev.wschat.server.chat.RoomRegistry;
import dev.wschat.server.history.InMemoryHistory;
import dev.wschat.server.http.HttpRequestHandler;
import dev.wschat.server.http.StaticFiles;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.GlobalEventExecutor;

/**
 * The conformance target of the Autobahn|Testsuite fuzzing client: the server's real pipeline
 * ({@link ChatServerInitializer} with the configuration's limits) with an echo handler in place of
 * the chat handler. The Maven plugin calls {@link #main} with the port.
 */
public final class AutobahnEchoServer {
    private AutobahnEchoServer() {
    }

    /**
     * Starts the echo server with the default limits and returns once it listens.
     *
     * @param args the port
     * @throws InterruptedException when interrupted while binding
     */
    public static void main(String[] args) throws InterruptedException {
        start(Integer.parseInt(args[0]), defaults());
    }

    /** The default configuration, as the shipped server runs. */
    static ServerConfig defaults() {
        return ServerConfig.builder().host("127.0.0.1").build();
    }

    /**
     * Starts an echo server on the real pipeline.
     *
     * @return the server channel
     */
    static Channel start(int port, ServerConfig base) throws InterruptedException {
        ServerConfig config = base.toBuilder().port(port).build();
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        JsonCodec codec = new JsonCodec(config.maxContentLength());
        ServerMetrics metrics = new ServerMetrics();
        RoomRegistry rooms = new RoomRegistry(codec, metrics);
        ChatService service = new ChatService(config, codec, rooms, new LocalBroker(rooms), new InMemoryHistory(10),
                metrics);
        ChatServerInitializer real = new ChatServerInitializer(config, service, codec,
                new HttpRequestHandler(new StaticFiles(), metrics),
                new DefaultChannelGroup("autobahn", GlobalEventExecutor.INSTANCE), metrics);
        return new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                        Math.min(32 * 1024, config.maxQueuedBytes() / 2), config.maxQueuedBytes()))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        real.initChannel(ch);
                        ch.pipeline().replace("chat", "echo", new EchoHandler());
                    }
                })
                .bind(config.host(), config.port()).sync().channel();
    }

    /** Echoes every text and binary message as it arrived. */
    private static final class EchoHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame) {
                ctx.writeAndFlush(frame.retain());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
