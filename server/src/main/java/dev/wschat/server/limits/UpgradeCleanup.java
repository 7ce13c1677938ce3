package dev.wschat.server.limits;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;

import java.util.List;
import java.util.Objects;

/**
 * Removes the handlers only the HTTP upgrade needs (the HTTP handler, the handshake guard, the connection limit)
 * and itself once the WebSocket handshake completed: a held connection then carries only what frames need, which
 * saves a handler context and its handler per name on every idle connection. Netty's handshaker already removes
 * the HTTP codec and aggregator; the handshake timeout and admission slot remove themselves at the 101. Starts the
 * connection's heartbeats ({@link HeartbeatHandler}) in the same step. Shared by
 * every connection; sits right after the WebSocket protocol handler, which fires the event.
 */
@ChannelHandler.Sharable
public final class UpgradeCleanup extends ChannelInboundHandlerAdapter {
    private final List<String> names;
    private final HeartbeatHandler.Heartbeats heartbeats;

    /**
     * Creates the cleanup.
     *
     * @param names      the pipeline names of the handlers to remove after the upgrade; absent ones are skipped
     * @param heartbeats started on the connection once its upgrade is done
     */
    public UpgradeCleanup(List<String> names, HeartbeatHandler.Heartbeats heartbeats) {
        this.names = List.copyOf(Objects.requireNonNull(names, "names"));
        this.heartbeats = Objects.requireNonNull(heartbeats, "heartbeats");
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            ChannelPipeline p = ctx.pipeline();
            for (String name : names) {
                if (p.context(name) != null) {
                    p.remove(name);
                }
            }
            p.remove(this);
            heartbeats.start(p);
        }
        super.userEventTriggered(ctx, evt);
    }
}
