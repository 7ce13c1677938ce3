/**
 * Protection against bad input, abuse and slow peers: connection limits, handshake timeouts, rate
 * limits, slow-consumer cut-off, heartbeats and the close codes for frames past the limits.
 */
package dev.wschat.server.limits;
