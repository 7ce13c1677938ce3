package dev.wschat.server;

import org.apache.logging.log4j.LogManager;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT handling. A JVM shutdown hook would exit 143 on SIGTERM; handling the signal
 * lets the server drain and then exit 0, as the tutorial's server does.
 */
final class Signals {
    private Signals() {
    }

    /** Runs {@code action} on its own thread at the first SIGTERM or SIGINT. */
    static void onTermination(Runnable action) {
        Thread[] runner = new Thread[1];
        sun.misc.SignalHandler handler = signal -> {
            synchronized (runner) {
                if (runner[0] == null) {
                    runner[0] = new Thread(action, "wschat-shutdown");
                    runner[0].start();
                }
            }
        };
        Signal.handle(new Signal("TERM"), handler);
        Signal.handle(new Signal("INT"), handler);
    }

    /** Flushes the logs and exits the process. */
    static void exit(int status) {
        LogManager.shutdown();
        System.exit(status);
    }
}
