package dev.wschat.bench;

import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The options of the fanout, ramp and churn scenarios (each takes all of them, so one option line fits all three);
 * the population's are {@link SetupOptions}'.
 */
final class LoadOptions extends SetupOptions {
    @Option(names = "--rooms", defaultValue = "1", paramLabel = "R", description = "rooms, dialect 2 (default: ${DEFAULT-VALUE})")
    int rooms;

    @Option(names = "--senders", defaultValue = "10", paramLabel = "S", description = "sending clients (default: ${DEFAULT-VALUE})")
    int senders;

    @Option(names = "--size", defaultValue = "64", paramLabel = "BYTES", description = "content bytes (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--rate", defaultValue = "50000", paramLabel = "PER_SEC",
            description = "deliveries/s, fanout and churn (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--duration", defaultValue = "10", paramLabel = "S",
            description = "seconds measured, fanout and churn (default: ${DEFAULT-VALUE})")
    int duration;

    @Option(names = "--p99-limit-ms", defaultValue = "100", paramLabel = "MS",
            description = "a step with a higher p99 is not sustainable (default: ${DEFAULT-VALUE})")
    double p99LimitMs;

    @Option(names = "--drain-seconds", defaultValue = "5", paramLabel = "S",
            description = "wait for late deliveries; later ones count as lost (default: ${DEFAULT-VALUE})")
    int drainSeconds;

    @Option(names = "--settle-timeout", defaultValue = "120", paramLabel = "S",
            description = "at most this long waiting for setup traffic to stop (default: ${DEFAULT-VALUE})")
    int settleTimeout;

    @Option(names = "--start", defaultValue = "20000", paramLabel = "PER_SEC",
            description = "ramp: first step's deliveries/s (default: ${DEFAULT-VALUE})")
    double start;

    @Option(names = "--factor", defaultValue = "1.25", paramLabel = "X",
            description = "ramp: each step's rate times this (default: ${DEFAULT-VALUE})")
    double factor;

    @Option(names = "--max", defaultValue = "2000000", paramLabel = "PER_SEC",
            description = "ramp: highest rate tried (default: ${DEFAULT-VALUE})")
    double max;

    @Option(names = "--step-seconds", defaultValue = "5", paramLabel = "S",
            description = "ramp: seconds per step (default: ${DEFAULT-VALUE})")
    int stepSeconds;

    @Option(names = "--step-retries", defaultValue = "0", paramLabel = "N",
            description = "ramp: a step over the p99 limit with nothing lost is run again at the same rate up to N times "
                    + "before the ramp ends (a one-off pause on a shared machine); a step that lost or duplicated "
                    + "anything ends it at once (default: ${DEFAULT-VALUE})")
    int stepRetries;

    @Option(names = "--max-steps", defaultValue = "30", paramLabel = "N",
            description = "ramp: most steps (default: ${DEFAULT-VALUE})")
    int maxSteps;

    @Option(names = "--churn-rate", defaultValue = "100", paramLabel = "PER_SEC",
            description = "churn: connections opened and closed per second (default: ${DEFAULT-VALUE})")
    double churnRate;

    @Option(names = "--hold-ms", defaultValue = "500", paramLabel = "MS",
            description = "churn: each churner's life (default: ${DEFAULT-VALUE})")
    int holdMs;

    @Option(names = "--resume", defaultValue = "0", paramLabel = "SHARE",
            description = "fanout, ramp, churn: this share of the receiving clients (0 to 1; 0.1 = one in ten) drops its "
                    + "connection (TCP reset, no close frame) during each measured step and resumes its room with "
                    + "join since/epoch (and ?resume=TOKEN when the welcome has one); dialect 2 (default: ${DEFAULT-VALUE})")
    double resume;

    @Option(names = "--resume-every", defaultValue = "2", paramLabel = "S",
            description = "each resuming client drops once per this many seconds, the clients' drops spread evenly "
                    + "over it (default: ${DEFAULT-VALUE})")
    double resumeEvery;

    @Option(names = "--resume-gap-ms", defaultValue = "200", paramLabel = "MS",
            description = "how long a dropped client stays away before it reconnects (default: ${DEFAULT-VALUE})")
    int resumeGapMs;

    @Option(names = "--ack", defaultValue = "false",
            description = "dialect 2: senders give every chat a clientMsgId; the step reports acks, refusals "
                    + "(error unavailable) and the latency from send to ack")
    boolean ack;

    @Option(names = "--wire", defaultValue = "wschat", paramLabel = "wschat|socketio", converter = Wire.Converter.class,
            description = "wschat = wschat's protocol (--dialect); socketio = Socket.IO v5 over a plain WebSocket to "
                    + "URL/socket.io/?EIO=4&transport=websocket&room=ROOM, chat as the event \"chat\" with the text, "
                    + "sent to the whole room, the sender included, as bench/peer/socketio-server.js does; --dialect is "
                    + "then ignored, and there is no --ack and no --resume "
                    + "(default: ${DEFAULT-VALUE})")
    Wire wire;

    @Option(names = "--cpu-pid", paramLabel = "LABEL=PID",
            description = "also read this process's CPU time (utime + stime, /proc/PID/stat) over each step and report "
                    + "it as process_cpu_seconds and process_cpu_us_per_delivery under LABEL; repeatable (nodes, "
                    + "nginx workers, redis-server)")
    Map<String, Long> cpuPids = new LinkedHashMap<>();
}
