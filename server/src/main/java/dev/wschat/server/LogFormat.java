package dev.wschat.server;

/** The log layout of the shipped Log4j2 configuration. */
public enum LogFormat {
    /** One human-readable line per event (the shipped pattern). */
    TEXT,
    /** One JSON object per line (Elastic Common Schema), for log shippers. */
    JSON
}
