/** Chat logic: sessions, rooms and their channel groups, and the handler that turns frames into actions. */
package dev.wschat.server.chat;
