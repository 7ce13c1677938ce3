/**
 * Who may connect: the origin allow-list and signed-token (JWT) authentication checked at the WebSocket
 * handshake, and the closing of connections whose token expires. The keys and rules come as {@link
 * dev.wschat.server.auth.AuthSettings}, built from the server's options.
 */
package dev.wschat.server.auth;
