/**
 * The broker seams: publishing a room event to every node that has members of the room ({@code Broker}), relaying a
 * direct message to the node its recipient is connected to ({@code DirectRelay}), telling the other nodes of a
 * session resumed here ({@code Takeovers}) and which users have sessions kept for a resume anywhere
 * ({@code AwayRegistry}). The single-node implementations are here; the Redis ones are in
 * {@code dev.wschat.server.redis}, with the connections they share.
 */
package dev.wschat.server.broker;
