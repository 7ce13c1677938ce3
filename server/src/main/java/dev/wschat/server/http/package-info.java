/**
 * Plain HTTP: the browser client's static files, {@code /health}, {@code /ready}, {@code /metrics}, and
 * routing of WebSocket upgrades.
 */
package dev.wschat.server.http;
