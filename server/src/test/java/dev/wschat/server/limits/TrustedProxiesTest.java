package dev.wschat.server.limits;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrustedProxiesTest {

    @ParameterizedTest(name = "trusted [{0}], peer {1}, X-Forwarded-For [{2}] -> {3}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            // no proxy trusted: the header is ignored, whoever sends it
            "-                      | 127.0.0.1 | 198.51.100.7                       | 127.0.0.1",
            // the peer is not the trusted proxy: a client posing as one
            "10.0.0.1               | 127.0.0.1 | 198.51.100.7                       | 127.0.0.1",
            "127.0.0.1              | 127.0.0.1 | 198.51.100.7                       | 198.51.100.7",
            "127.0.0.1              | 127.0.0.1 | -                                  | 127.0.0.1",
            // the right-most entry is the one the trusted proxy added; what is left of it the client wrote
            "127.0.0.1              | 127.0.0.1 | 6.6.6.6, 198.51.100.7              | 198.51.100.7",
            // a chain of trusted proxies is walked through
            "127.0.0.1,10.0.0.0/8   | 127.0.0.1 | 198.51.100.7, 10.1.2.3             | 198.51.100.7",
            "127.0.0.1,10.0.0.0/8   | 127.0.0.1 | 10.9.9.9, 10.1.2.3                 | 10.9.9.9",
            // an unreadable entry stops the walk at the last address known good
            "127.0.0.1,10.0.0.0/8   | 127.0.0.1 | 198.51.100.7, evil.example, 10.1.2.3 | 10.1.2.3",
            "127.0.0.1              | 127.0.0.1 | unknown                            | 127.0.0.1",
            "::1                    | ::1       | 2001:db8::5                        | 2001:db8::5",
            "0.0.0.0/0              | 127.0.0.1 | 203.0.113.9                        | 203.0.113.9",
    })
    void theClientIsTheRightMostUntrustedAddress(String trusted, String peer, String forwarded, String client)
            throws Exception {
        HttpHeaders headers = new DefaultHttpHeaders();
        if (forwarded != null) {
            headers.add("X-Forwarded-For", forwarded);
        }
        InetAddress resolved = TrustedProxies.parse(trusted)
                .client(new InetSocketAddress(InetAddress.getByName(peer), 40000), headers);
        assertThat(resolved).isEqualTo(InetAddress.getByName(client));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "nginx            | 'nginx' is not an IP address or CIDR block",
            "10.0.0.0/33      | '10.0.0.0/33' has a prefix length outside 0..32",
            "10.0.0.0/x       | '10.0.0.0/x' has a prefix length outside 0..32",
            "::1/129          | '::1/129' has a prefix length outside 0..128",
            "127.0.0.1,300.1.1.1 | '300.1.1.1' is not an IP address or CIDR block",
    })
    void aBadEntryIsNamed(String list, String message) {
        assertThatThrownBy(() -> TrustedProxies.parse(list)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }
}
