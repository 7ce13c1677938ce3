package dev.wschat.server;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import javax.net.ssl.SSLException;

/** Builds the server's TLS context from the PEM certificate chain and key of the configuration. */
final class ServerTls {
    /** Protocol versions offered; older ones are broken. */
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private ServerTls() {
    }

    /**
     * Reads the certificate and key, so a bad file fails the start before any thread runs.
     *
     * @param config the configuration
     * @return the context, or {@code null} when TLS is off
     * @throws IllegalArgumentException when the files cannot be read as a PEM certificate chain and PKCS#8 key
     */
    static SslContext context(ServerConfig config) {
        if (!config.tlsEnabled()) {
            return null;
        }
        try {
            return SslContextBuilder.forServer(config.tlsCertFile().toFile(), config.tlsKeyFile().toFile())
                    .protocols(PROTOCOLS)
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot use tlsCertFile " + config.tlsCertFile() + " with tlsKeyFile "
                    + config.tlsKeyFile() + " (PEM certificate chain and unencrypted PKCS#8 key expected): "
                    + e.getMessage(), e);
        }
    }
}
