package dev.wschat.server.limits;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits this package applies to every connection, built from the server's options in one place; the ranges
 * are checked where the options are declared.
 *
 * @param maxMessageBytes          largest WebSocket message (frame or reassembled fragments), in bytes
 * @param maxConnections           WebSocket connections held at once; 0 = no limit
 * @param maxConnectionsPerAddress WebSocket connections from one client address; 0 = no limit
 * @param connectionRate           new WebSocket connections per second from one client address; 0 = no limit
 * @param connectionBurst          burst of new WebSocket connections from one client address
 * @param trustedProxies           proxies whose {@code X-Forwarded-For} names the client
 * @param maxPendingHandshakes     connections per event loop whose handshake is not answered yet; 0 = no limit
 * @param handshakeTimeout         time a connection has to complete its HTTP request or handshake
 * @param messageRate              messages per second one connection may send; 0 = no limit
 * @param messageBurst             burst of messages one connection may send
 * @param rateLimitStrikes         refused messages in a row after which the connection is closed 1008
 * @param pingInterval             idle time after which a connection is pinged; {@link Duration#ZERO} = off
 */
public record LimitSettings(int maxMessageBytes, int maxConnections, int maxConnectionsPerAddress,
                            int connectionRate, int connectionBurst, TrustedProxies trustedProxies,
                            int maxPendingHandshakes, Duration handshakeTimeout, int messageRate, int messageBurst,
                            int rateLimitStrikes, Duration pingInterval) {

    /** Checks that the objects are there. */
    public LimitSettings {
        Objects.requireNonNull(trustedProxies, "trustedProxies");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        Objects.requireNonNull(pingInterval, "pingInterval");
    }
}
