package dev.wschat.server;

import com.google.gson.JsonObject;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static dev.wschat.server.testing.RunningServer.noRateLimit;
import static dev.wschat.server.testing.TestClient.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The same room traffic on every socket transport: io_uring and epoll are both available on the Linux this
 * project is built and tested on (the test fails rather than skips when one is missing), NIO everywhere.
 */
class TransportTest {
    private static final int MESSAGES = 200;

    @RegisterExtension
    final RunningServer chat = RunningServer.startedByEachTest(noRateLimit("--threads", "2"));

    @Test
    void bothNativeTransportsAreAvailableOnTheBuildMachine() {
        assertThat(IoUring.isAvailable()).as("io_uring: %s", IoUring.unavailabilityCause()).isTrue();
        assertThat(Epoll.isAvailable()).as("epoll: %s", Epoll.unavailabilityCause()).isTrue();
        assertThat(Transport.AUTO.resolve()).isEqualTo(Transport.EPOLL);
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"IO_URING", "EPOLL", "NIO"})
    void roomTrafficArrivesCompleteAndInOrderOnEachTransport(Transport transport) {
        chat.startWith("--transport", transport.label());
        assertThat(chat.server().transport()).isEqualTo(transport.label());
        TestClient sender = chat.v2();
        TestClient a = chat.v2();
        TestClient b = chat.v2();

        for (int i = 0; i < MESSAGES; i++) {
            sender.sendJson("type", "chat", "room", "lobby", "content", "m" + i);
        }
        for (TestClient receiver : List.of(a, b, sender)) {
            for (int i = 0; i < MESSAGES; i++) {
                JsonObject message = receiver.nextOfType("chat");
                assertThat(str(message, "message")).isEqualTo("m" + i);
            }
        }
    }

    @Test
    void transportValuesParseAndUnknownOnesAreRefused() {
        assertThat(Transport.parse("io_uring")).isEqualTo(Transport.IO_URING);
        assertThat(Transport.parse("auto")).isEqualTo(Transport.AUTO);
        assertThatThrownBy(() -> Transport.parse("kqueue"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("auto, io_uring, epoll or nio");
    }
}
