package dev.wschat.server.auth;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Verifier threads a test can hold: each new thread waits for {@link #release()} before it takes its first
 * verification, as if every thread were busy, so the verifier pool's queue fills as in a reconnect storm.
 */
final class HeldVerifiers implements ThreadFactory {
    private final CountDownLatch release = new CountDownLatch(1);
    private final Semaphore started = new Semaphore(0);

    @Override
    public Thread newThread(Runnable worker) {
        Thread t = new Thread(() -> {
            started.release();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            worker.run();
        }, "held-verifier");
        t.setDaemon(true);
        return t;
    }

    /** Waits until {@code n} verifier threads started and are held. */
    boolean awaitHeld(int n) throws InterruptedException {
        return started.tryAcquire(n, 10, TimeUnit.SECONDS);
    }

    /** Lets every held thread, and every later one, go on. */
    void release() {
        release.countDown();
    }
}
