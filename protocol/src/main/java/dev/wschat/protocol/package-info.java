/**
 * The wschat wire contract: message records, their JSON codec, validation and limits.
 *
 * <p>Two dialects share one WebSocket endpoint: {@link Dialect#TUTORIAL}, the tutorial's protocol
 * for clients that ask for no subprotocol, and {@link Dialect#V2}, negotiated as {@code wschat.v2}.
 * Nothing here knows about Netty or channels; {@code docs/protocol.md} describes the same contract.
 */
package dev.wschat.protocol;
