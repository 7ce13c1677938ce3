package dev.wschat.testkit;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Netty's leak reports, kept for {@link LeakCheck} to fail on: a {@link ResourceLeakDetectorFactory} whose detectors
 * record each leak report here (Netty's own would only log it).
 */
public final class LeakRecorder {
    private static final ConcurrentLinkedQueue<String> LEAKS = new ConcurrentLinkedQueue<>();
    private static volatile boolean installed;

    private LeakRecorder() {
    }

    /**
     * Makes every leak detector created from now on a recording one; must run before Netty's buffer classes load
     * (their detector is a static field), which {@link LeakSessionListener} does at the start of the test run.
     */
    static synchronized void install() {
        if (installed) {
            return;
        }
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
        installed = true;
    }

    /** Whether {@link #install} ran in this JVM (false when a test runs without the launcher listener). */
    public static boolean installed() {
        return installed;
    }

    /**
     * Collects what the garbage collector has found unreleased so far: runs a GC and allocates tracked buffers so
     * the detectors poll their queues, a few rounds, and returns (and forgets) the leaks reported meanwhile.
     */
    public static List<String> drain() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            LeakFlush.allocate();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<String> leaks = new ArrayList<>();
        for (String leak; (leak = LEAKS.poll()) != null; ) {
            leaks.add(leak);
        }
        return leaks;
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                   long maxActive) {
            return new RecordingDetector<>(resource, samplingInterval);
        }

        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
            return new RecordingDetector<>(resource, samplingInterval);
        }
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        RecordingDetector(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        @Override
        protected boolean needReport() {
            // Netty reports only when its logger logs errors; a leak must fail the run whatever the log config says
            return true;
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            // not logged here: LeakCheck fails the test class with the report, and LeakCheckTest (server) leaks quietly
            LEAKS.add("LEAK: " + resourceType + ".release() was not called before it's garbage-collected." + records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            LEAKS.add("LEAK: " + resourceType + ".release() was not called before it's garbage-collected.");
        }
    }
}
