/**
 * Who may connect: the origin allow-list and signed-token (JWT) authentication checked at the WebSocket
 * handshake, and the closing of connections whose token expires.
 */
package dev.wschat.server.auth;
