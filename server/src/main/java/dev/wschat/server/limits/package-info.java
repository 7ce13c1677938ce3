/**
 * Protection against bad input, abuse and slow peers: connection limits, handshake timeouts, rate
 * limits, slow-consumer cut-off, heartbeats, the close codes for frames past the limits, and the
 * {@code CloseGuard} after which no data frame follows a Close frame. The limits come as {@link
 * dev.wschat.server.limits.LimitSettings}, built from the server's options.
 */
package dev.wschat.server.limits;
