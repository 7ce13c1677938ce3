package dev.wschat.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** A counter written by one thread and read by others: release stores, no locked instructions. */
final class Counter {
    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(Counter.class, "value", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused")
    private long value;

    /** Adds one; call from the owning thread only. */
    void inc() {
        VALUE.setRelease(this, value + 1);
    }

    /** Adds {@code n}; call from the owning thread only. */
    void add(long n) {
        VALUE.setRelease(this, value + n);
    }

    /** The current value, from any thread. */
    long get() {
        return (long) VALUE.getAcquire(this);
    }
}
