package dev.wschat.server.testing;

import dev.wschat.testkit.LeakRecorder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The leak check sees a buffer that nobody released (and drains it, so this test's own leak fails nothing). */
class LeakCheckTest {
    @Test
    void testsRunWithTheParanoidDetectorThatRecords() {
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
        assertThat(LeakRecorder.installed()).isTrue();
    }

    @Test
    void aBufferNeverReleasedIsReportedWithWhereItWasTouched() {
        LeakRecorder.drain();
        leakOne();
        List<String> leaks = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            leaks.addAll(LeakRecorder.drain());
            return !leaks.isEmpty();
        });
        assertThat(String.join("\n", leaks)).contains("LEAK: ByteBuf.release() was not called")
                .contains("leakOne");
    }

    private static void leakOne() {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        buf.writeLong(42);
        buf.touch("leaked on purpose by LeakCheckTest");
    }
}
