package dev.wschat.server.chat;

import java.util.concurrent.atomic.AtomicLong;

/** The ids of the messages this node creates: the process's start time in base 36, a dash, then a counter. */
final class MessageIds {
    private final String nodePrefix = Long.toString(System.currentTimeMillis(), 36) + "-";
    private final AtomicLong counter = new AtomicLong();

    /** A new id. */
    String next() {
        return nodePrefix + counter.incrementAndGet();
    }
}
