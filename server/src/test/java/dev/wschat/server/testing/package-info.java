/**
 * What every server test shares: {@link dev.wschat.server.testing.RunningServer} (a real server on port 0, declared
 * by a test as a JUnit 5 extension that stops it after each test), {@link dev.wschat.server.testing.TestClient}
 * (the JDK's WebSocket), {@link dev.wschat.server.testing.RawWebSocket} (frame by frame, for what a well-behaved
 * client cannot send), {@link dev.wschat.server.testing.InProcessChat} (a chat service without sockets) and
 * {@link dev.wschat.server.testing.HandlerChannel} (a handler's {@code EmbeddedChannel}),
 * {@link dev.wschat.server.testing.ServerProcess} (the real JAR as a process),
 * {@link dev.wschat.server.testing.RedisServer} and {@link dev.wschat.server.testing.Nginx} (the Debian packages
 * with the project's {@code deploy/} files; a Redis can be an extension too, ordered before its nodes), {@link dev.wschat.server.testing.Cluster} (Redis, in-process nodes and
 * nginx in front, for scale-out tests), {@link dev.wschat.server.testing.TestCertificates},
 * {@link dev.wschat.server.testing.Http}, {@link dev.wschat.server.testing.LogCapture} (what a logger logged, for
 * tests about the log) and {@link dev.wschat.server.testing.PrintLogOnFailure} (the test log, printed only for a
 * failing test).
 */
package dev.wschat.server.testing;
