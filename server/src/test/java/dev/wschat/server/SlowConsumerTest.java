package dev.wschat.server;

import dev.wschat.server.chat.Session;
import dev.wschat.server.metrics.ServerMetrics.Reason;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.wschat.server.testing.RunningServer.noRateLimit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A client that stops reading while its room floods: the server's queue for it stays under the cap, it is
 * cut off with 4008 and counted, and the others in the room receive every message.
 */
class SlowConsumerTest {
    private static final int CAP = 256 * 1024;
    private static final int MESSAGES = 5_000;
    private static final int BATCH = 10;
    private static final String FILLER = "f".repeat(3_900);

    @RegisterExtension
    final RunningServer server = RunningServer.withOptions(noRateLimit("--max-queued-bytes", Integer.toString(CAP),
            "--threads", "2"));

    @Test
    void aReaderThatStopsIsCutOffWhileTheRoomKeepsReceiving() throws Exception {
        TestClient slow = server.v2();
        String slowId = server.server().service().sessions().iterator().next().id();
        TestClient fast = server.v2();
        TestClient sender = server.v2();
        Channel slowChannel = server.server().service().sessions().stream()
                .filter(s -> s.id().equals(slowId)).map(Session::channel).findFirst().orElseThrow();
        slow.pause();

        AtomicLong maxQueued = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                ChannelOutboundBuffer buffer = slowChannel.unsafe().outboundBuffer();
                if (buffer != null) {
                    maxQueued.accumulateAndGet(buffer.totalPendingWriteBytes(), Math::max);
                }
                try {
                    Thread.sleep(1); // the sampling period of a measurement, not a wait for traffic
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "queue-sampler");
        sampler.setDaemon(true);
        sampler.start();

        // Resume as soon as the server gives up on the slow client, so it can read what was queued and the close.
        CompletableFuture<Void> resumed = CompletableFuture.runAsync(() -> {
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(5))
                    .until(() -> server.server().metrics().rejections(Reason.SLOW_CONSUMER) >= 1);
            slow.resume();
        });

        // In lockstep with the fast reader, batch by batch: it keeps up, the stopped reader falls ever further behind.
        for (int batch = 0; batch < MESSAGES / BATCH; batch++) {
            for (int i = batch * BATCH; i < (batch + 1) * BATCH; i++) {
                sender.send("{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"" + i + " " + FILLER + "\"}");
            }
            for (int i = batch * BATCH; i < (batch + 1) * BATCH; i++) {
                String expected = "\"message\":\"" + i + " ";
                String got = fast.nextText(t -> t.contains("\"type\":\"chat\""));
                assertThat(got).as("the fast reader gets message " + i)
                        .contains(expected);
            }
        }
        sampler.interrupt();

        assertThat(server.awaitRejections(Reason.SLOW_CONSUMER, 1)).isEqualTo(1);
        resumed.get(TestClient.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(slow.awaitCloseCode()).isEqualTo(4008);
        assertThat(maxQueued.get()).as("bytes queued for the slow reader").isLessThanOrEqualTo(CAP + 16 * 1024);
        assertThat(fast.closed()).isNotDone();
        assertThat(sender.closed()).isNotDone();
    }
}
