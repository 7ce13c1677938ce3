package dev.wschat.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import javax.net.ssl.SSLException;

/**
 * Closes a connection whose TLS failed (plain text sent to the TLS port, a client that distrusts the
 * certificate) and logs it at debug by exception type only: the exception's message can carry a hex dump
 * of what the client sent, which may hold a token.
 */
@ChannelHandler.Sharable
final class TlsErrorHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LogManager.getLogger(TlsErrorHandler.class);

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable tls = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (tls instanceof SSLException) {
            LOG.debug("[{}] TLS failed ({}); closing", ctx.channel().id(), tls.getClass().getSimpleName());
            ctx.close();
            return;
        }
        ctx.fireExceptionCaught(cause);
    }
}
