/**
 * What every server test shares: {@link dev.wschat.server.testing.RunningServer} (a real server on port 0),
 * {@link dev.wschat.server.testing.TestClient} (the JDK's WebSocket), {@link dev.wschat.server.testing.RawWebSocket}
 * (frame by frame, for what a well-behaved client cannot send), {@link dev.wschat.server.testing.ServerProcess}
 * (the real JAR as a process), {@link dev.wschat.server.testing.RedisServer} and
 * {@link dev.wschat.server.testing.Nginx} (the Debian packages with the project's {@code deploy/} files),
 * {@link dev.wschat.server.testing.Cluster} (Redis, in-process nodes and nginx in front, for scale-out tests),
 * {@link dev.wschat.server.testing.TestCertificates}, {@link dev.wschat.server.testing.Http} and
 * {@link dev.wschat.server.testing.LogCapture} (what a logger logged, for tests about the log).
 */
package dev.wschat.server.testing;
