package dev.wschat.bench;

import dev.wschat.protocol.Dialect;
import picocli.CommandLine.Option;

/**
 * The options of the storm scenario. The population's are {@link SetupOptions}', as the fan-out scenarios';
 * {@code --rooms}, {@code --senders}, {@code --rate} and {@code --drain-seconds} are the storm's own (other defaults,
 * and the rate counts messages sent, not deliveries). {@link #validate} refuses what contradicts itself.
 */
final class StormOptions extends SetupOptions {
    @Option(names = "--rooms", defaultValue = "100", paramLabel = "R", description = "rooms (default: ${DEFAULT-VALUE})")
    int rooms;

    @Option(names = "--rooms-per-client", defaultValue = "3", paramLabel = "K",
            description = "rooms each client is in (default: ${DEFAULT-VALUE})")
    int roomsPerClient;

    @Option(names = "--senders", defaultValue = "20", paramLabel = "S",
            description = "clients that chat, each in turn in its rooms, with a clientMsgId (default: ${DEFAULT-VALUE})")
    int senders;

    @Option(names = "--rate", defaultValue = "200", paramLabel = "PER_SEC",
            description = "chat messages per second, all senders together (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--mode", defaultValue = "blip", paramLabel = "blip|restart",
            description = "blip: the bench resets every connection (TCP reset), the server stays up; restart: the "
                    + "bench runs --restart-cmd (default: ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--restart-cmd", paramLabel = "CMD",
            description = "restart mode: a shell command that stops the server (SIGTERM) and starts it again on the "
                    + "same port and --data-dir, in the background; the bench waits for the new listening socket")
    String restartCmd;

    @Option(names = "--restart-timeout", defaultValue = "60", paramLabel = "S",
            description = "seconds the bench waits for --restart-cmd to exit (default: ${DEFAULT-VALUE})")
    int restartTimeout;

    @Option(names = "--server-pid-file", paramLabel = "FILE",
            description = "a file holding the server's pid, re-read every second (a restart changes it); without it "
                    + "the pid is --server-pid while it lives, else the process listening on the port")
    String serverPidFile;

    @Option(names = "--after", defaultValue = "3", paramLabel = "S",
            description = "seconds of chat after every client is back (default: ${DEFAULT-VALUE})")
    int after;

    @Option(names = "--storm-timeout", defaultValue = "120", paramLabel = "S",
            description = "at most this long waiting for every client to be back (default: ${DEFAULT-VALUE})")
    int stormTimeout;

    @Option(names = "--drain-seconds", defaultValue = "10", paramLabel = "S",
            description = "after the senders stop, wait for every ack and delivery; later ones count as unacked "
                    + "and lost (default: ${DEFAULT-VALUE})")
    int drainSeconds;

    @Option(names = "--backoff-base-ms", defaultValue = "1000", paramLabel = "MS",
            description = "first reconnect step, before jitter; the browser client's (default: ${DEFAULT-VALUE})")
    long backoffBaseMs;

    @Option(names = "--backoff-max-ms", defaultValue = "30000", paramLabel = "MS",
            description = "longest reconnect step; the browser client's (default: ${DEFAULT-VALUE})")
    long backoffMaxMs;

    @Option(names = "--attempt-timeout-ms", defaultValue = "10000", paramLabel = "MS",
            description = "a reconnect attempt not caught up by then is closed and counted as a timeout "
                    + "(default: ${DEFAULT-VALUE})")
    int attemptTimeoutMs;

    @Option(names = "--catch-up", defaultValue = "join", paramLabel = "join|resume",
            description = "join: one join {since, epoch} per room; resume: one resume message for every room of a "
                    + "session resumed by token (needs a server that has it) (default: ${DEFAULT-VALUE})")
    String catchUp;

    /**
     * Refuses options that contradict each other or the dialect, naming them.
     *
     * @throws IllegalArgumentException saying which options disagree
     */
    void validate(Dialect dialect) {
        if (dialect != Dialect.V2) {
            throw new IllegalArgumentException("storm needs dialect 2 (rooms, join with since and epoch)");
        }
        if (clients < 1 || rooms < 1 || roomsPerClient < 1 || roomsPerClient > rooms) {
            throw new IllegalArgumentException("need --clients >= 1, --rooms >= 1 and 1 <= --rooms-per-client <= --rooms");
        }
        if (senders < 0 || senders > clients) {
            throw new IllegalArgumentException("need 0 <= --senders <= --clients");
        }
        if (!(rate >= 0)) {
            throw new IllegalArgumentException("--rate must be at least 0");
        }
        if (!"blip".equals(mode) && !"restart".equals(mode)) {
            throw new IllegalArgumentException("--mode must be blip or restart");
        }
        if ("restart".equals(mode) && (restartCmd == null || restartCmd.isBlank())) {
            throw new IllegalArgumentException("--mode restart needs --restart-cmd");
        }
        if (!"join".equals(catchUp) && !"resume".equals(catchUp)) {
            throw new IllegalArgumentException("--catch-up must be join or resume");
        }
        if (attemptTimeoutMs < 1 || stormTimeout < 1) {
            throw new IllegalArgumentException("--attempt-timeout-ms and --storm-timeout must be at least 1");
        }
    }

    /** Whether the storm restarts the server ({@code --mode restart}) rather than resetting the connections. */
    boolean restarts() {
        return "restart".equals(mode);
    }
}
