package dev.wschat.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Opens connections at a given rate, with a bound on handshakes in flight, and tracks how many are
 * ready (set up), pending and closed.
 */
final class Population implements Conn.Events {
    private final Clients clients;
    final List<Conn> conns = new ArrayList<>();
    final AtomicInteger ready = new AtomicInteger();
    final AtomicInteger pending = new AtomicInteger();
    final AtomicInteger ended = new AtomicInteger();

    Population(Clients clients) {
        this.clients = clients;
    }

    @Override
    public void ready(Conn conn) {
        ready.incrementAndGet();
        pending.decrementAndGet();
    }

    @Override
    public void closed(Conn conn, boolean wasReady) {
        ended.incrementAndGet();
        if (wasReady) {
            ready.decrementAndGet();
        } else {
            pending.decrementAndGet();
        }
    }

    /** Connections that are open and set up. */
    int open() {
        return ready.get();
    }

    /**
     * Opens {@code n} connections at up to {@code rate} per second (0: as fast as {@code maxPending} allows),
     * sampling once a second, until all are ready or ended or {@code timeoutSeconds} passed.
     *
     * @return the seconds from the first connect to the last connection set up
     */
    double open(int n, double rate, int maxPending, int timeoutSeconds, IntFunction<Conn> factory, Sampler sampler)
            throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        long nextSample = start + 1_000_000_000L;
        int launched = 0;
        long lastReadyNanos = start;
        int lastReady = 0;
        while (System.nanoTime() < deadline) {
            long now = System.nanoTime();
            long allowed = rate > 0 ? Math.min(n, (long) ((now - start) / 1e9 * rate) + 1) : n;
            while (launched < allowed && pending.get() < maxPending) {
                Conn c = factory.apply(launched);
                conns.add(c);
                pending.incrementAndGet();
                clients.connect(c);
                launched++;
            }
            int r = ready.get();
            if (r != lastReady) {
                lastReady = r;
                lastReadyNanos = System.nanoTime();
            }
            if (launched == n && pending.get() <= 0) {
                break;
            }
            if (now >= nextSample) {
                sampler.sample();
                nextSample += 1_000_000_000L;
            }
            Thread.sleep(0, 500_000);
        }
        return (lastReadyNanos - start) / 1e9;
    }
}
