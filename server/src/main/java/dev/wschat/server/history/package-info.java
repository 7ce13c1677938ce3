/** The history seam: assigning per-room sequence numbers and keeping recent messages. */
package dev.wschat.server.history;
