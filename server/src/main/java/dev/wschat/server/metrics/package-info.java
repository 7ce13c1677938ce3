/** Server metrics through Micrometer, exposed in Prometheus format at {@code /metrics}. */
package dev.wschat.server.metrics;
