/**
 * Chat logic: sessions, the rooms' membership ({@code RoomRegistry}), the per-event-loop fan-out that
 * delivers room events ({@code RoomFanout}, with the hand-encoded frames of {@code RawFrames}), and the
 * handler that turns frames into actions.
 */
package dev.wschat.server.chat;
