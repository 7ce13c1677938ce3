package dev.wschat.bench;

import picocli.CommandLine.Option;

/**
 * The options every scenario with a population of clients declares the same way: how many, how fast they are opened
 * and how long the warm-up chats. {@link LoadOptions} and {@link StormOptions} extend it (picocli reads the options of
 * a mixin's superclass), so each is declared once.
 */
abstract class SetupOptions {
    @Option(names = "--clients", defaultValue = "1000", paramLabel = "N", description = "connections (default: ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--warmup", defaultValue = "5", paramLabel = "S",
            description = "seconds of warm-up chat before the measured part, or before the storm (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--connect-rate", defaultValue = "5000", paramLabel = "PER_SEC",
            description = "connections opened per second during setup (default: ${DEFAULT-VALUE})")
    double connectRate;

    @Option(names = "--max-pending", defaultValue = "500", paramLabel = "N",
            description = "handshakes in flight during setup (default: ${DEFAULT-VALUE})")
    int maxPending;

    @Option(names = "--setup-timeout", defaultValue = "300", paramLabel = "S",
            description = "seconds for every client to connect and join (default: ${DEFAULT-VALUE})")
    int setupTimeout;
}
