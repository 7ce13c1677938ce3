/** Plain HTTP: the browser client's static files, health, and routing of WebSocket upgrades. */
package dev.wschat.server.http;
