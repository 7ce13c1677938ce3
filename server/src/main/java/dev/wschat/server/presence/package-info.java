/**
 * The presence seam: who is in each room, listed a bounded page at a time. The single-node implementation is here;
 * the Redis one is in {@code dev.wschat.server.redis}, with the connections it shares.
 */
package dev.wschat.server.presence;
