/**
 * What the seams' backends share, below every seam package: {@link
 * dev.wschat.server.backend.BackendUnavailableException}, the one failure a seam reports when its backend (the store,
 * Redis) cannot answer now, and which callers turn into an {@code unavailable} error for the client.
 */
package dev.wschat.server.backend;
