/**
 * The load generator: a cheap Netty WebSocket client, the connections, fanout, ramp, churn and storm
 * scenarios, the clients that drop and resume ({@code ResumingClient}), per-thread latency histograms, and the
 * table, JSON and HTML reports. Server messages are read with the protocol module's decoder, except a delivery's
 * bench marker, read by a byte scan on the hot path ({@code Conn}).
 */
package dev.wschat.bench;
