/** The presence seam: who is in each room, listed a bounded page at a time. */
package dev.wschat.server.presence;
