/**
 * Plain HTTP: the browser client's static files, {@code /health}, {@code /ready}, {@code /metrics} (on the
 * admin listener instead when {@code --admin-port} is set), and routing of WebSocket upgrades.
 */
package dev.wschat.server.http;
