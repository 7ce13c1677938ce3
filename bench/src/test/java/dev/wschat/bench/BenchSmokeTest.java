package dev.wschat.bench;

import com.google.gson.Gson;
import dev.wschat.server.ChatServer;
import dev.wschat.server.ServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CI smoke run: the real server on port 0 and the bench's real scenarios, a few hundred connections
 * for a few seconds each. Asserts what the bench observed (every expected delivery arrived, once) and that
 * the report files exist; latency and throughput are not asserted.
 */
class BenchSmokeTest {
    private static ChatServer server;
    private static String url;

    @TempDir
    Path out;

    @BeforeAll
    static void startServer() throws InterruptedException {
        server = new ChatServer(loadTestConfig()).start();
        url = "ws://127.0.0.1:" + server.port() + "/";
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.stop();
        }
    }

    private static long pid() {
        return ProcessHandle.current().pid();
    }

    private Map<?, ?> run(String name, String... args) throws Exception {
        // the scenario, then the defaults, then the test's options (a later option wins)
        String[] full = new String[args.length + 7];
        full[0] = args[0];
        full[1] = "--url";
        full[2] = url;
        full[3] = "--out";
        full[4] = out.toString();
        full[5] = "--name";
        full[6] = name;
        full[7] = "--quiet=1";
        System.arraycopy(args, 1, full, 8, args.length - 1);
        assertThat(Bench.run(full)).isZero();
        assertThat(out.resolve(name + ".html")).isNotEmptyFile();
        Path json = out.resolve(name + ".json");
        assertThat(json).isNotEmptyFile();
        assertThat(Files.readString(out.resolve(name + ".html"))).contains("<svg");
        return new Gson().fromJson(Files.readString(json), Map.class);
    }

    private static Map<?, ?> lastStep(Map<?, ?> result) {
        List<?> steps = (List<?>) result.get("steps");
        assertThat(steps).isNotEmpty();
        return (Map<?, ?>) steps.get(steps.size() - 1);
    }

    /** Every expected delivery of the step arrived once, in order. */
    static void assertNothingLost(Map<?, ?> step) {
        double expected = ((Number) step.get("expected")).doubleValue();
        assertThat(expected).isPositive();
        assertThat(((Number) step.get("received")).doubleValue()).isEqualTo(expected);
        assertThat(((Number) step.get("lost")).doubleValue()).isZero();
        assertThat(((Number) step.get("duplicates")).doubleValue()).isZero();
        assertThat(((Number) step.get("out_of_order")).doubleValue()).isZero();
    }

    /** A server with the abuse limits off, as docs/benchmarks.md runs it: one address opens every connection. */
    /** A server on 127.0.0.1, port 0, without the connection and message limits, and {@code more} options. */
    private static ServerConfig loadTestConfig(String... more) {
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", "0", "--max-connections", "0",
                "--max-connections-per-address", "0", "--connection-rate", "0", "--message-rate", "0"));
        try {
            args.addAll(List.of("--data-dir", java.nio.file.Files.createTempDirectory("wschat-bench-test").toString()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        args.addAll(List.of(more));
        return ServerConfig.parse(args.toArray(String[]::new));
    }

    @Test
    void fanoutInTwoRoomsOfTheV2DialectLosesNothing() throws Exception {
        Map<?, ?> r = run("fanout-v2", "fanout", "--clients", "300", "--rooms", "2", "--senders", "4",
                "--rate", "10000", "--duration", "3", "--warmup", "1", "--server-pid", Long.toString(pid()),
                "--metrics-url", "http://127.0.0.1:" + server.port() + "/metrics");
        assertThat(((Number) r.get("recipients_per_message")).doubleValue()).isEqualTo(150.0);
        Map<?, ?> step = lastStep(r);
        assertNothingLost(step);
        assertThat(((Number) step.get("sent")).doubleValue()).isGreaterThan(100);
        assertThat(((Number) step.get("server_cpu_us_per_delivery")).doubleValue()).isPositive();
        assertThat((List<?>) r.get("timeline")).isNotEmpty();
    }

    @Test
    void withAckEveryStoredMessageIsAcknowledgedAndTimed() throws Exception {
        Map<?, ?> r = run("fanout-ack", "fanout", "--clients", "40", "--rooms", "10", "--senders", "40",
                "--rate", "2000", "--duration", "2", "--warmup", "1", "--ack");
        Map<?, ?> step = lastStep(r);
        assertNothingLost(step);
        assertThat(((Number) step.get("acks")).doubleValue()).as("one ack per message sent")
                .isEqualTo(((Number) step.get("sent")).doubleValue());
        assertThat(((Number) step.get("refused_unavailable")).doubleValue()).isZero();
        assertThat(((Number) step.get("ack_p99_ms")).doubleValue()).isPositive()
                .isLessThanOrEqualTo(((Number) step.get("ack_max_ms")).doubleValue());
    }

    @Test
    void fanoutInTheTutorialDialectLosesNothingAndSkipsTheSender() throws Exception {
        Map<?, ?> r = run("fanout-v1", "fanout", "--dialect", "1", "--clients", "200", "--senders", "2",
                "--rate", "8000", "--duration", "3", "--warmup", "1");
        assertThat(((Number) r.get("recipients_per_message")).doubleValue()).isEqualTo(199.0);
        assertNothingLost(lastStep(r));
    }

    @Test
    void churnKeepsTheRoomWhole() throws Exception {
        Map<?, ?> r = run("churn", "churn", "--clients", "200", "--senders", "2", "--rate", "5000",
                "--duration", "3", "--warmup", "1", "--churn-rate", "50", "--hold-ms", "200");
        assertNothingLost(lastStep(r));
        assertThat(((Number) r.get("churn_connections_opened")).doubleValue()).isGreaterThan(50);
        assertThat(((Number) r.get("churn_failures")).doubleValue()).isZero();
    }

    @Test
    void connectionsOpensAllAndMeasuresTheServer() throws Exception {
        Map<?, ?> r = run("connections", "connections", "--connections", "300", "--rate", "0", "--hold", "1",
                "--server-pid", Long.toString(pid()),
                "--metrics-url", "http://127.0.0.1:" + server.port() + "/metrics");
        assertThat(((Number) r.get("connections_open")).intValue()).isEqualTo(300);
        assertThat(((Number) r.get("failures")).intValue()).isZero();
        assertThat(((Number) r.get("handshakes_per_sec")).doubleValue()).isPositive();
        assertThat(r.get("handshakes_per_sec_best_second")).isNotNull();
        assertThat(r.get("server_rss_after_bytes")).isNotNull();
        assertThat(r.get("server_heap_after_bytes")).isNotNull();
    }

    @Test
    void joinsPastTheAnnounceLimitAreNotAnnounced() throws Exception {
        ChatServer small = new ChatServer(loadTestConfig("--announce-limit", "50")).start();
        try {
            String smallUrl = "ws://127.0.0.1:" + small.port() + "/";
            // Connections join one at a time. Dialect 2: a welcome, the lobby's presence and its (empty) history
            // each, plus a notice to every member already there for each of the first 50 joins:
            // 300 * 3 + (1 + 2 + ... + 49); at most 2 extra per announced join for a joiner racing the notice.
            // Without the limit: 44,850 notices.
            int notices = 49 * 50 / 2;
            Map<?, ?> v2 = run("announce-v2", "connections", "--connections", "300", "--rate", "0",
                    "--max-pending", "1", "--hold", "1", "--url", smallUrl);
            assertThat(((Number) v2.get("connections_open")).intValue()).isEqualTo(300);
            assertThat(((Number) v2.get("frames_received_while_connecting_and_holding")).longValue())
                    .isBetween(300L * 3 + notices, 300L * 3 + notices + 2 * 50);
            // dialect 1: a welcome each (presence has no tutorial form) and the same notices
            Map<?, ?> v1 = run("announce-v1", "connections", "--dialect", "1", "--connections", "300", "--rate", "0",
                    "--max-pending", "1", "--hold", "1", "--url", smallUrl);
            assertThat(((Number) v1.get("frames_received_while_connecting_and_holding")).longValue())
                    .isBetween(300L + notices, 300L + notices + 2 * 50);
        } finally {
            small.stop();
        }
    }

    /** Regression: on a server whose history held an earlier run's messages, a dialect-1 run counted 10,000 lost. */
    @Test
    void anEarlierRunsMessagesReplayedOnJoinAreNotThisRunsDeliveries() throws Exception {
        ChatServer reused = new ChatServer(loadTestConfig()).start();
        try {
            String reusedUrl = "ws://127.0.0.1:" + reused.port() + "/";
            for (String name : List.of("replay-1", "replay-2")) {
                // dialect 1: joiners get lobby's last 50 messages as plain chats; dialect 2 as a history frame
                Map<?, ?> v1 = run(name + "-v1", "fanout", "--dialect", "1", "--clients", "50", "--senders", "2",
                        "--rate", "2000", "--duration", "1", "--warmup", "0", "--url", reusedUrl);
                assertNothingLost(lastStep(v1));
                Map<?, ?> v2 = run(name + "-v2", "fanout", "--clients", "50", "--senders", "2", "--rate", "2000",
                        "--duration", "1", "--warmup", "0", "--url", reusedUrl);
                assertNothingLost(lastStep(v2));
            }
        } finally {
            reused.stop();
        }
    }

    @Test
    void resumingClientsEndWithEveryMessageOnce() throws Exception {
        Map<?, ?> r = run("resume", "fanout", "--clients", "40", "--rooms", "4", "--senders", "4", "--rate", "2000",
                "--duration", "3", "--warmup", "1", "--resume", "0.25", "--resume-every", "1",
                "--resume-gap-ms", "100");
        assertThat(((Number) r.get("resuming_clients")).intValue()).isEqualTo(9);
        assertNothingLost(lastStep(r));
        assertThat(((Number) r.get("resumes")).intValue()).isGreaterThanOrEqualTo(9);
        assertThat(((Number) r.get("resume_lost")).longValue()).isZero();
        assertThat(((Number) r.get("resume_duplicates")).longValue()).isZero();
        assertThat(((Number) r.get("resume_out_of_order")).longValue()).isZero();
        assertThat(((Number) r.get("resume_recovered_false")).longValue()).isZero();
        assertThat(((Number) r.get("resume_unfinished")).longValue()).isZero();
        assertThat(((Number) r.get("resume_latency_max_ms")).doubleValue()).isPositive();
        assertThat((List<?>) r.get("resume_rooms_with_loss_or_duplicates")).isEmpty();
    }

    @Test
    void clientsAreSpreadOverEveryUrlAndEachRoomLivesOnOneNode() throws Exception {
        ChatServer second = new ChatServer(loadTestConfig()).start();
        try {
            double before1 = connectionsOpened(server);
            double before2 = connectionsOpened(second);
            String both = url + ",ws://127.0.0.1:" + second.port() + "/";
            // separate nodes (no Redis): 4 rooms over 2 nodes, client i on node i % 2 in room i % 4
            Map<?, ?> r = run("two-urls", "fanout", "--url", both, "--clients", "40", "--rooms", "4",
                    "--senders", "4", "--rate", "2000", "--duration", "2", "--warmup", "1", "--resume", "0.2",
                    "--resume-every", "1", "--resume-gap-ms", "100");
            assertThat(((Number) r.get("urls")).intValue()).isEqualTo(2);
            assertThat(r.get("clients_per_url")).isEqualTo(List.of(20.0, 20.0));
            assertNothingLost(lastStep(r));
            assertThat(((Number) r.get("resumes")).intValue()).isPositive();
            assertThat(((Number) r.get("resume_lost")).longValue()).isZero();
            assertThat(((Number) r.get("resume_duplicates")).longValue()).isZero();
            // every node served its half, resumed clients coming back to the node they left
            assertThat(connectionsOpened(server) - before1).isGreaterThanOrEqualTo(20);
            assertThat(connectionsOpened(second) - before2).isGreaterThanOrEqualTo(20);
        } finally {
            second.stop();
        }
    }

    private static double connectionsOpened(ChatServer s) {
        return s.metrics().scrape().lines().filter(l -> l.startsWith("wschat_connections_opened_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void rampStopsAtTheFirstStepThatIsNotSustainable() throws Exception {
        Map<?, ?> r = run("ramp", "ramp", "--clients", "200", "--senders", "2", "--start", "5000",
                "--factor", "2", "--step-seconds", "1", "--max-steps", "2", "--warmup", "1",
                "--p99-limit-ms", "100000");
        List<?> steps = (List<?>) r.get("steps");
        assertThat(steps).hasSize(2);
        for (Object s : steps) {
            assertNothingLost((Map<?, ?>) s);
        }
        assertThat(((Number) r.get("sustainable_deliveries_per_sec")).doubleValue()).isPositive();
    }

    @Test
    void aFailedRampStepIsRunAgainAtTheSameRateBeforeTheRampEnds() throws Exception {
        // no latency is under a nanosecond: every step fails on p99 alone, nothing lost
        Map<?, ?> r = run("ramp-retry", "ramp", "--clients", "100", "--senders", "2", "--start", "2000",
                "--factor", "2", "--step-seconds", "1", "--max-steps", "5", "--warmup", "1",
                "--p99-limit-ms", "0.000001", "--step-retries", "1");
        List<?> steps = (List<?>) r.get("steps");
        List<Object> names = new java.util.ArrayList<>();
        List<Object> offered = new java.util.ArrayList<>();
        for (Object s : steps) {
            names.add(((Map<?, ?>) s).get("name"));
            offered.add(((Map<?, ?>) s).get("offered_deliveries_per_sec"));
        }
        assertThat(names).containsExactly("step 1", "step 1, again (1)");
        assertThat(offered.get(1)).isEqualTo(offered.get(0));
        for (Object s : steps) {
            assertNothingLost((Map<?, ?>) s);
        }
    }
}
