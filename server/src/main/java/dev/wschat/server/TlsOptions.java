package dev.wschat.server;

import dev.wschat.server.Checks.Readable;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options of the TLS section: the certificate chain and key that turn on {@code wss://} and {@code https://}. */
final class TlsOptions {
    @Readable
    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "PEM certificate chain; with --tls-key serves wss:// and https://")
    Path tlsCertFile;
    @Readable
    @Option(names = "--tls-key", paramLabel = "FILE",
            description = "PEM PKCS#8 private key (BEGIN PRIVATE KEY), unencrypted")
    Path tlsKeyFile;
}
