package dev.wschat.server;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.SingleThreadEventExecutor;

/** Reads event-loop state for the metrics. */
final class EventLoops {
    private EventLoops() {
    }

    /** Tasks waiting on every loop of a group; 0 when the group is not running. */
    static int pendingTasks(EventLoopGroup group) {
        if (group == null) {
            return 0;
        }
        int pending = 0;
        for (EventExecutor executor : group) {
            if (executor instanceof SingleThreadEventExecutor loop) {
                pending += loop.pendingTasks();
            }
        }
        return pending;
    }
}
