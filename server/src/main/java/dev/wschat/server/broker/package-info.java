/**
 * The broker seams: publishing a room event to every node that has members of the room ({@code Broker}), and
 * relaying a direct message to the node its recipient is connected to ({@code DirectRelay}).
 */
package dev.wschat.server.broker;
