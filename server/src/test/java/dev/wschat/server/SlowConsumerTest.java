package dev.wschat.server;

import dev.wschat.server.chat.Session;
import dev.wschat.server.metrics.ServerMetrics.Reason;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that stops reading while its room floods: the server's queue for it stays under the cap, it is
 * cut off with 4008 and counted, and the others in the room receive every message.
 */
class SlowConsumerTest {
    private static final int CAP = 256 * 1024;
    private static final int MESSAGES = 5_000;
    private static final int BATCH = 10;
    private static final String FILLER = "f".repeat(3_900);

    private RunningServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aReaderThatStopsIsCutOffWhileTheRoomKeepsReceiving() throws Exception {
        server = RunningServer.start("--max-queued-bytes", String.valueOf(CAP), "--message-rate", "0", "--threads", "2");
        WsProbe slow = server.open(WsProbe.PRESENCE);
        String slowId = server.server.service().sessions().iterator().next().id();
        WsProbe fast = server.open(WsProbe.PRESENCE);
        WsProbe sender = server.open(WsProbe.PRESENCE);
        Channel slowChannel = server.server.service().sessions().stream()
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
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "queue-sampler");
        sampler.setDaemon(true);
        sampler.start();

        Thread resumer = new Thread(() -> {
            // Resume as soon as the server gives up on the slow client, so it can read what was queued and the close.
            try {
                while (server.server.metrics().rejections(Reason.SLOW_CONSUMER) < 1) {
                    Thread.sleep(5);
                }
            } catch (InterruptedException e) {
                return;
            }
            slow.resume();
        }, "resumer");
        resumer.setDaemon(true);
        resumer.start();

        // In lockstep with the fast reader, batch by batch: it keeps up, the stopped reader falls ever further behind.
        for (int batch = 0; batch < MESSAGES / BATCH; batch++) {
            for (int i = batch * BATCH; i < (batch + 1) * BATCH; i++) {
                sender.send("{\"type\":\"chat\",\"room\":\"lobby\",\"content\":\"" + i + " " + FILLER + "\"}");
            }
            for (int i = batch * BATCH; i < (batch + 1) * BATCH; i++) {
                String expected = "\"message\":\"" + i + " ";
                String got = fast.await(t -> t.contains("\"type\":\"chat\""));
                assertThat(got).as("the fast reader gets message " + i)
                        .contains(expected);
            }
        }
        sampler.interrupt();
        resumer.interrupt();

        assertThat(server.awaitRejections(Reason.SLOW_CONSUMER, 1)).isEqualTo(1);
        assertThat(slow.awaitClose()).isEqualTo(4008);
        assertThat(maxQueued.get()).as("bytes queued for the slow reader").isLessThanOrEqualTo(CAP + 16 * 1024);
        assertThat(fast.closed).isNotDone();
        assertThat(sender.closed).isNotDone();
    }
}
