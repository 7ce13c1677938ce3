/**
 * The load generator: a cheap Netty WebSocket client, the connections, fanout, ramp and churn
 * scenarios, per-thread latency histograms, and the table, JSON and HTML reports.
 */
package dev.wschat.bench;
