package dev.wschat.server;

import dev.wschat.server.http.HttpRequestHandler;
import dev.wschat.server.http.StaticFiles;
import dev.wschat.server.testing.InProcessChat;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The conformance target of the Autobahn|Testsuite fuzzing client: the server's real pipeline
 * ({@link ChatServerInitializer} with the configuration's limits) with an echo handler in place of
 * the chat handler. The Maven plugin calls {@link #main} with the port.
 */
public final class AutobahnEchoServer {
    /** Exit status when the fuzzing client outlives its deadline; scripts/test.sh then runs the build again. */
    static final int HUNG_EXIT_STATUS = 75;
    /** Longest the conformance cases may take (about 90 s on an idle 2-core machine, 5 minutes under load). */
    static final Duration CONFORMANCE_DEADLINE = Duration.ofMinutes(10);
    /** Longest the client may go without opening a connection or sending a frame before it counts as hung. */
    static final Duration QUIET_LIMIT = Duration.ofSeconds(60);
    private static final Duration WATCHDOG_TICK = Duration.ofSeconds(2);
    /** When the client last connected or sent a frame ({@link System#nanoTime()}). */
    private static volatile long lastActivity = System.nanoTime();

    private AutobahnEchoServer() {
    }

    /**
     * Serves the fuzzing client with the default limits until it has finished.
     *
     * @param args the port
     * @throws InterruptedException when interrupted while binding
     */
    public static void main(String[] args) throws InterruptedException {
        serveUntilTheClientEnds(Integer.parseInt(args[0]), CONFORMANCE_DEADLINE);
    }

    /** The shipped server's configuration on 127.0.0.1 and {@code port}, with {@code options} on top. */
    static ServerConfig config(int port, String... options) {
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", Integer.toString(port)));
        args.addAll(List.of(options));
        return ServerConfig.parse(args.toArray(String[]::new));
    }

    /**
     * Serves until the plugin interrupts this thread, which it does once the fuzzing client has finished,
     * then stops. The client runs in Jython inside Maven's JVM, and under heavy load Jython's {@code select}
     * has been seen to miss a wake-up and wait forever; past {@code deadline} this exits the JVM with
     * {@link #HUNG_EXIT_STATUS} rather than hold the build until CI's time runs out.
     */
    static void serveUntilTheClientEnds(int port, Duration deadline, String... options) throws InterruptedException {
        lastActivity = System.nanoTime();
        Runnable stop = start(config(port, options));
        // -Dwschat.autobahnDeadline=PT5S on Maven's command line overrides the deadline (the client runs in that JVM).
        Duration limit = Duration.parse(System.getProperty("wschat.autobahnDeadline", deadline.toString()));
        long end = System.nanoTime() + limit.toNanos();
        try {
            while (System.nanoTime() < end) {
                Thread.sleep(WATCHDOG_TICK.toMillis());
                long quietNanos = System.nanoTime() - lastActivity;
                if (quietNanos > QUIET_LIMIT.toNanos()) {
                    // Every case opens a connection and sends frames within a second or two: this long without
                    // either means the client stopped between cases (Jython missed a wake-up).
                    exitHung("has opened no connection and sent no frame for " + QUIET_LIMIT);
                }
            }
        } catch (InterruptedException finished) {
            stop.run();
            Thread.currentThread().interrupt();
            return;
        }
        exitHung("still running after " + limit);
    }

    private static void exitHung(String what) {
        System.err.println("Autobahn fuzzing client " + what + ": it hangs; exiting with status " + HUNG_EXIT_STATUS);
        System.exit(HUNG_EXIT_STATUS);
    }

    /**
     * Starts an echo server on the real pipeline.
     *
     * @return what stops it
     */
    static Runnable start(ServerConfig config) throws InterruptedException {
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        InProcessChat chat = InProcessChat.of(config);
        ChatServerInitializer real = new ChatServerInitializer(config, chat.service(), chat.codec(),
                new HttpRequestHandler(new StaticFiles(), chat.metrics()),
                new DefaultChannelGroup("autobahn", GlobalEventExecutor.INSTANCE), chat.metrics());
        Channel server = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                        Math.min(32 * 1024, config.maxQueuedBytes() / 2), config.maxQueuedBytes()))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        lastActivity = System.nanoTime();
                        real.initChannel(ch);
                        ch.pipeline().replace("chat", "echo", new EchoHandler());
                    }
                })
                .bind(config.host(), config.port()).sync().channel();
        return () -> {
            server.close();
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            chat.close();
        };
    }

    /** Echoes every text and binary message as it arrived. */
    private static final class EchoHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            lastActivity = System.nanoTime();
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
