package dev.wschat.server;

import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.JsonCodec;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.auth.AuthSessionHandler;
import dev.wschat.server.auth.AuthSettings;
import dev.wschat.server.auth.HandshakeGuard;
import dev.wschat.server.auth.JwtAuthenticator;
import dev.wschat.server.auth.OriginPolicy;
import dev.wschat.server.chat.ChatFrameHandler;
import dev.wschat.server.chat.ChatService;
import dev.wschat.server.chat.Session;
import dev.wschat.server.http.HttpRequestHandler;
import dev.wschat.server.metrics.ByteCounter;
import dev.wschat.server.limits.CloseGuard;
import dev.wschat.server.limits.ConnectionLimitHandler;
import dev.wschat.server.limits.FrameLimitHandler;
import dev.wschat.server.limits.HandshakeAdmission;
import dev.wschat.server.limits.HandshakeTimeoutHandler;
import dev.wschat.server.limits.HeartbeatHandler.Heartbeats;
import dev.wschat.server.limits.LimitSettings;
import dev.wschat.server.limits.RateLimitHandler;
import dev.wschat.server.limits.SlowConsumerHandler;
import dev.wschat.server.limits.UpgradeCleanup;
import dev.wschat.server.metrics.ServerMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.ssl.SslContext;

import java.util.List;
import java.util.Objects;

/** Composes each connection's pipeline; every limit comes from {@link ServerConfig}'s settings records. */
final class ChatServerInitializer extends ChannelInitializer<SocketChannel> {
    /** Longest HTTP request line, in bytes. */
    static final int MAX_INITIAL_LINE_BYTES = 4_096;
    /** Largest HTTP header block, in bytes. */
    static final int MAX_HEADER_BYTES = 8_192;
    /** Largest HTTP request body, in bytes (the server serves GETs; upgrades carry none). */
    static final int MAX_HTTP_CONTENT_BYTES = 8_192;
    private static final TlsErrorHandler TLS_ERRORS = new TlsErrorHandler();
    /** What only the upgrade needs: removed once the handshake completed. */
    private static final List<String> UPGRADE_ONLY =
            List.of("http-handler", "handshake-guard", "connection-limit", "handshake-timeout");

    private final LimitSettings limits;
    private final AuthSettings auth;
    private final ChatService service;
    private final JsonCodec codec;
    private final HttpRequestHandler httpHandler;
    private final ChannelGroup allChannels;
    private final ServerMetrics metrics;
    private final WebSocketServerProtocolConfig wsConfig;
    private final SslContext tls;
    private final JwtAuthenticator authenticator;
    private final HandshakeGuard handshakeGuard;
    private final ByteCounter byteCounter;
    private final ConnectionLimitHandler connectionLimit;
    private final FrameLimitHandler frameLimits;
    private final HandshakeAdmission admission;
    private final UpgradeCleanup upgradeCleanup;
    /** One for every connection: a method reference made per connection costs 16 B on each. */
    private final RateLimitHandler.Reply refusal = this::sendRefusal;

    /** A plain-TCP pipeline without authentication (the conformance test's echo server uses this). */
    ChatServerInitializer(ServerConfig config, ChatService service, JsonCodec codec,
                          HttpRequestHandler httpHandler, ChannelGroup allChannels, ServerMetrics metrics) {
        this(config, service, codec, httpHandler, allChannels, metrics, null, null);
    }

    /** The pipeline with TLS when {@code tls} is set and token authentication when {@code authenticator} is. */
    ChatServerInitializer(ServerConfig config, ChatService service, JsonCodec codec,
                          HttpRequestHandler httpHandler, ChannelGroup allChannels, ServerMetrics metrics,
                          SslContext tls, JwtAuthenticator authenticator) {
        Objects.requireNonNull(config, "config");
        this.limits = config.limitSettings();
        this.auth = config.authSettings();
        this.service = Objects.requireNonNull(service, "service");
        this.codec = Objects.requireNonNull(codec, "codec");
        this.httpHandler = Objects.requireNonNull(httpHandler, "httpHandler");
        this.allChannels = Objects.requireNonNull(allChannels, "allChannels");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.wsConfig = webSocketConfig(config);
        this.tls = tls;
        this.authenticator = authenticator;
        this.handshakeGuard = new HandshakeGuard(new OriginPolicy(auth.allowedOrigins()), authenticator,
                auth.cookie(), metrics);
        this.byteCounter = new ByteCounter(metrics);
        this.connectionLimit = new ConnectionLimitHandler(limits, metrics);
        this.frameLimits = new FrameLimitHandler(metrics, limits.maxMessageBytes());
        this.admission = new HandshakeAdmission(limits.maxPendingHandshakes(), limits.handshakeTimeout(), metrics);
        this.upgradeCleanup = new UpgradeCleanup(UPGRADE_ONLY, new Heartbeats(limits.pingInterval(), metrics));
    }

    /** The WebSocket settings of the real pipeline, shared with the conformance test's echo server. */
    static WebSocketServerProtocolConfig webSocketConfig(ServerConfig config) {
        return WebSocketServerProtocolConfig.newBuilder()
                // "/" with checkStartsWith matches every path; HttpRequestHandler lets only "/" and "/ws" through.
                .websocketPath("/")
                .checkStartsWith(true)
                .subprotocols(Dialect.V2_SUBPROTOCOL)
                .handshakeTimeoutMillis(config.handshakeTimeout().toMillis())
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(config.maxMessageBytes())
                        .expectMaskedFrames(true)
                        .allowMaskMismatch(false)
                        .allowExtensions(false)
                        .withUTF8Validator(true)
                        // FrameLimitHandler writes the close frame with the violation's code: Netty's own
                        // (an empty buffer, then close) lets WebSocketServerProtocolHandler send 1000 first.
                        .closeOnProtocolViolation(false)
                        .build())
                .build();
    }

    private void sendRefusal(Channel channel, ServerMessage.Error refusal) {
        Session session = Session.of(channel);
        if (session != null) {
            service.send(session, refusal);
        }
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        allChannels.add(ch);
        ChannelPipeline p = ch.pipeline();
        p.addLast("bytes", byteCounter);
        if (tls != null) {
            p.addLast("tls", tls.newHandler(ch.alloc()));
            p.addLast("tls-errors", TLS_ERRORS);
        }
        if (admission.bounded() && !admission.tryAdmit(ch)) {
            // past --max-pending-handshakes on this loop: one handler reads the request head and sheds an upgrade
            p.addLast("shed", admission.shed(this::addHttpAndWebSocket));
            return;
        }
        addHttpAndWebSocket(p);
        if (admission.bounded()) {
            p.addAfter("http-codec", "admission", admission.slot());
        }
    }

    /** Everything after the transport: HTTP, the upgrade, the WebSocket limits and the chat. */
    private void addHttpAndWebSocket(ChannelPipeline p) {
        p.addLast("http-codec", new HttpServerCodec(MAX_INITIAL_LINE_BYTES, MAX_HEADER_BYTES, MAX_HEADER_BYTES));
        p.addLast("http-aggregator", new HttpObjectAggregator(MAX_HTTP_CONTENT_BYTES));
        p.addLast("handshake-timeout", new HandshakeTimeoutHandler(limits.handshakeTimeout(), metrics));
        p.addLast("connection-limit", connectionLimit);
        p.addLast("handshake-guard", handshakeGuard);
        p.addLast("http-handler", httpHandler);
        // Before the protocol handler, so every Close frame written after the handshake passes it, Netty's own too.
        p.addLast("close-guard", new CloseGuard());
        p.addLast("websocket", new WebSocketServerProtocolHandler(wsConfig));
        p.addLast("upgrade-cleanup", upgradeCleanup);
        if (authenticator != null) {
            p.addLast("auth", new AuthSessionHandler(metrics, auth.clockSkew()));
        }
        p.addLast("ws-aggregator", new WebSocketFrameAggregator(limits.maxMessageBytes()));
        p.addLast("ws-limits", frameLimits);
        p.addLast("rate-limit", new RateLimitHandler(limits, refusal, metrics));
        p.addLast("chat", new ChatFrameHandler(service, codec, metrics));
        p.addLast("slow-consumer", new SlowConsumerHandler(metrics));
    }
}
