package dev.wschat.testkit;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Installs {@link LeakRecorder} when the JUnit launcher opens, before any test loads Netty's buffers, and prints what
 * leaked after the last check (registered in this jar's {@code META-INF/services}).
 */
public final class LeakSessionListener implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        LeakRecorder.install();
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        // what the last test class leaked after its own check ran: too late to fail a test, still worth reading
        for (String leak : LeakRecorder.drain()) {
            System.err.println(leak);
        }
    }
}
