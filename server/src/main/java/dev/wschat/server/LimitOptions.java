package dev.wschat.server;

import dev.wschat.protocol.Limits;
import dev.wschat.server.Checks.AtLeast;
import dev.wschat.server.Checks.AtMost;
import dev.wschat.server.history.HistorySettings;
import picocli.CommandLine.Option;

/** The options of the Limits section: sizes, counts and rates past which the server refuses or closes. */
final class LimitOptions {
    @AtLeast(1_024)
    @Option(names = "--max-message-bytes", paramLabel = "N", defaultValue = "" + Limits.DEFAULT_MAX_MESSAGE_BYTES,
            description = "largest WebSocket message in bytes; larger closes 1009")
    int maxMessageBytes;
    @AtLeast(1)
    @Option(names = "--max-content-length", paramLabel = "N", defaultValue = "" + Limits.DEFAULT_MAX_CONTENT_LENGTH,
            description = "longest chat text in characters; longer gets error too_long")
    int maxContentLength;
    @AtLeast(1)
    @Option(names = "--max-rooms", paramLabel = "N", defaultValue = "" + Limits.DEFAULT_MAX_ROOMS_PER_CONNECTION,
            description = "rooms one connection may be in at once")
    int maxRoomsPerConnection;
    @AtLeast(0)
    @Option(names = "--announce-limit", paramLabel = "N", defaultValue = "1000",
            description = "members past which joins and leaves are not announced")
    int announceLimit;
    @AtLeast(1)
    @AtMost(Limits.MAX_PRESENCE_PAGE)
    @Option(names = "--presence-page", paramLabel = "N", defaultValue = "100",
            description = "members one presence message lists; more are paged with who")
    int presencePage;
    @AtLeast(0)
    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "10000",
            description = "WebSocket connections held at once, 0 = no limit; past it HTTP 503")
    int maxConnections;
    @AtLeast(0)
    @Option(names = "--max-connections-per-address", paramLabel = "N", defaultValue = "1000",
            description = "WebSocket connections from one IP, 0 = no limit; past it HTTP 503")
    int maxConnectionsPerAddress;
    @AtLeast(0)
    @Option(names = "--connection-rate", paramLabel = "N", defaultValue = "20",
            description = "new WebSocket connections per second per IP, 0 = no limit; past it HTTP 503")
    int connectionRate;
    @AtLeast(1)
    @Option(names = "--connection-burst", paramLabel = "N", defaultValue = "100",
            description = "burst of new WebSocket connections per IP")
    int connectionBurst;
    @AtLeast(1)
    @Option(names = "--handshake-timeout", paramLabel = "MS", defaultValue = "10000",
            description = "time to send a complete HTTP request or handshake")
    int handshakeTimeoutMillis;
    @AtLeast(0)
    @Option(names = "--max-pending-handshakes", paramLabel = "N", defaultValue = "1000",
            description = "connections per event loop not yet upgraded, 0 = no limit; past it a handshake gets "
                    + "HTTP 503 with Retry-After: 1 before any HTTP pipeline is built")
    int maxPendingHandshakes;
    @AtLeast(0)
    @Option(names = "--message-rate", paramLabel = "N", defaultValue = "20",
            description = "messages per second per connection, 0 = no limit; past it error rate_limited")
    int messageRate;
    @AtLeast(1)
    @Option(names = "--message-burst", paramLabel = "N", defaultValue = "40",
            description = "burst of messages per connection")
    int messageBurst;
    @AtLeast(1)
    @Option(names = "--rate-limit-strikes", paramLabel = "N", defaultValue = "50",
            description = "rate-limited messages in a row that close the connection 1008")
    int rateLimitStrikes;
    @AtLeast(64 * 1024)
    @Option(names = "--max-queued-bytes", paramLabel = "N", defaultValue = "1048576",
            description = "bytes queued for a slow reader before close 4008")
    int maxQueuedBytes;
    @AtLeast(0)
    @Option(names = "--ping-interval", paramLabel = "MS", defaultValue = "30000",
            description = "ping connections idle this long, close after two, 0 = off")
    int pingIntervalMillis;
    @AtLeast(0)
    @Option(names = "--history-rooms", paramLabel = "N", defaultValue = "" + HistorySettings.DEFAULT_ROOMS,
            description = "rooms whose recent messages are kept, least recently used dropped, 0 = none")
    int historyRooms;
}
