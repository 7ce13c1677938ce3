package dev.wschat.server.chat;

import io.netty.channel.Channel;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.concurrent.RejectedExecutionException;

/** Hands a task to a connection's event loop, and says what was not done when that loop has stopped. */
final class Loops {
    private static final Logger LOG = LogManager.getLogger(Loops.class);

    private Loops() {
    }

    /**
     * Runs a task on the channel's event loop; a loop that stopped (the server is stopping) refuses it, which is
     * logged as {@code what} not done.
     *
     * @return whether the loop took the task
     */
    static boolean run(Channel channel, String what, Runnable task) {
        try {
            channel.eventLoop().execute(task);
            return true;
        } catch (RejectedExecutionException stopping) {
            LOG.debug("[{}] event loop stopped before {}", channel.id(), what);
            return false;
        }
    }
}
