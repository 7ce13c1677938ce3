/**
 * Chat logic: what a connection's messages do, the rooms' membership and the delivery of room events.
 *
 * <ul>
 *   <li>{@code ChatFrameHandler}: the pipeline's last handler; a text frame becomes a decoded message for
 *       {@code ChatService}.</li>
 *   <li>{@code ChatService}: starts and ends sessions and dispatches each message, applying the rules (a member
 *       only); the public entry point, built with its collaborators by {@code ChatService.builder}.</li>
 *   <li>{@code RoomMembership}: where a {@code join} is authorised; a joiner caught up and announced, {@code who},
 *       history pages, {@code leave}, rename notices, and a session's rooms when it ends or moves.</li>
 *   <li>{@code Posting}: where a chat message is stored (the history numbers it) and where it leaves (published
 *       to every node); the sender's ack.</li>
 *   <li>{@code DirectMessages}: direct messages, here or relayed to another node, or kept in the {@code Inbox}
 *       of a session away and given when it resumes.</li>
 *   <li>{@code Resumption}: resume tokens ({@code ResumeTokens}) and their refresh, dropped sessions kept for the
 *       window ({@code DetachedSessions}) and their expiry, sessions ended here because another node resumed
 *       them.</li>
 *   <li>{@code Sessions}: the registry of connected {@code Session}s by client id.</li>
 *   <li>{@code Replies}: what is written to one connection: a message, an error, the 4009 close.</li>
 *   <li>{@code RoomRegistry}: this node's rooms and their members; it hands room events to {@code RoomFanout},
 *       the per-event-loop delivery, with the hand-encoded frames of {@code RawFrames}.</li>
 *   <li>{@code ChatSettings}, {@code MessageIds}, {@code Loops}: the limits and windows, message ids, and the
 *       hand-off of a task to a connection's event loop.</li>
 * </ul>
 */
package dev.wschat.server.chat;
