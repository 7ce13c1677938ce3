package dev.wschat.testkit;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;

/**
 * Fails a test class after which Netty reported a leaked buffer (with the leak's access records in the message), so
 * no change can leak a buffer unnoticed; every test class of a module with this jar on its test class path gets it
 * (registered in this jar's {@code META-INF/services}, with {@code junit.jupiter.extensions.autodetection.enabled} set
 * by the root pom). A leak is reported when the garbage
 * collector finds the buffer, which may be after the class that leaked it: the failing class is the first one after
 * the leak, and the records name the code that touched the buffer.
 */
public final class LeakCheck implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) {
        if (!LeakRecorder.installed()) {
            return;
        }
        List<String> leaks = LeakRecorder.drain();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " leaked Netty resource(s) reported by the end of "
                    + context.getDisplayName() + " (-Dio.netty.leakDetection.level=paranoid):\n"
                    + String.join("\n\n", leaks));
        }
    }
}
