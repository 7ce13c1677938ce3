/** The broker seam: publishing a room event to every node that has members of the room. */
package dev.wschat.server.broker;
