package dev.wschat.server.testing;

import dev.wschat.protocol.ServerMessage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Function;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;

/**
 * The scale-out fixture: a real {@code redis-server} ({@code deploy/redis.conf}), N in-process nodes on it
 * ({@code --redis}, one session secret, nginx trusted as a proxy) and the real nginx in front of them
 * ({@code deploy/nginx.conf}); clients connect through nginx, and {@link #nodeOf} says where one landed, from the
 * node's own sessions. {@link #close()} closes every client it opened, then the nodes, nginx and Redis; a test class
 * holds one in an {@code @AutoClose} field, a fresh cluster per test.
 */
public final class Cluster implements AutoCloseable {
    /** How long the fixture waits for Redis, the nodes' readiness or a session to end. */
    public static final Duration WAIT = Duration.ofSeconds(60);
    /** Connections made through nginx before {@link #v2On} gives up on reaching a node. */
    private static final int MAX_ATTEMPTS = 20;
    private static final String SESSION_SECRET = "cluster-fixture-secret-0123456789abcdef";

    private final RedisServer redis;
    private final List<RunningServer> nodes;
    private final Nginx nginx;
    private final Deque<TestClient> opened = new ConcurrentLinkedDeque<>();

    private Cluster(RedisServer redis, List<RunningServer> nodes, Nginx nginx) {
        this.redis = redis;
        this.nodes = List.copyOf(nodes);
        this.nginx = nginx;
    }

    /**
     * Starts Redis, {@code nodeCount} nodes on it and nginx in front of them (upstream in node order), and waits
     * until every node answers {@code /ready} with 200.
     *
     * @param nodeCount   how many nodes, at least 1
     * @param nodeOptions more options for every node; they win over the fixture's
     * @return the running cluster
     * @throws UncheckedIOException when Redis or nginx could not be started
     */
    public static Cluster start(int nodeCount, String... nodeOptions) {
        if (nodeCount < 1) {
            throw new IllegalArgumentException("nodeCount must be at least 1: " + nodeCount);
        }
        RedisServer redis;
        try {
            redis = RedisServer.start();
        } catch (IOException e) {
            throw new UncheckedIOException("starting redis-server", e);
        }
        List<RunningServer> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < nodeCount; i++) {
                List<String> args = new ArrayList<>(List.of(RunningServer.noRateLimit("--redis", redis.url(),
                        "--trusted-proxies", "127.0.0.1", "--session-secret", SESSION_SECRET)));
                args.addAll(List.of(nodeOptions));
                nodes.add(RunningServer.start(args.toArray(String[]::new)));
            }
            for (int i = 0; i < nodeCount; i++) {
                RunningServer node = nodes.get(i);
                await().atMost(WAIT).alias("node " + i + " ready").until(() -> node.get("/ready").statusCode() == 200);
            }
            Nginx nginx = Nginx.start(nodes.stream().map(RunningServer::port).toList());
            return new Cluster(redis, nodes, nginx);
        } catch (IOException e) {
            nodes.forEach(RunningServer::close);
            redis.close();
            throw new UncheckedIOException("starting nginx", e);
        } catch (RuntimeException | Error e) {
            nodes.forEach(RunningServer::close);
            redis.close();
            throw e;
        }
    }

    /** The Redis every node uses; kill and restart it through this. */
    public RedisServer redis() {
        return redis;
    }

    /** The nginx in front of the nodes. */
    public Nginx nginx() {
        return nginx;
    }

    /** Every node, in the upstream's order. */
    public List<RunningServer> nodes() {
        return nodes;
    }

    /** Node {@code index} (0-based, the upstream's order): its port, {@code /ready}, {@code /metrics}, sessions. */
    public RunningServer node(int index) {
        return nodes.get(index);
    }

    /** A WebSocket URI through nginx. */
    public URI uri(String path) {
        return nginx.uri(path);
    }

    /** A sample of {@code /metrics} summed over every node, e.g. {@code wschat_connections_opened_total}. */
    public double sum(String sample) {
        return nodes.stream().mapToDouble(n -> n.metric(sample)).sum();
    }

    /** Waits until every node answers {@code /ready} with {@code status}. */
    public void awaitReady(int status) {
        await().atMost(WAIT).alias("every node's /ready answers " + status).until(() -> {
            for (RunningServer node : nodes) {
                if (node.get("/ready").statusCode() != status) {
                    return false;
                }
            }
            return true;
        });
    }

    /**
     * The node holding the session {@code clientId}, from the nodes' own sessions.
     *
     * @throws AssertionError when no node or more than one holds it
     */
    public RunningServer nodeOf(String clientId) {
        List<RunningServer> holding = nodes.stream().filter(n -> holds(n, clientId)).toList();
        if (holding.size() != 1) {
            throw new AssertionError("session " + clientId + " is on " + holding.size() + " nodes");
        }
        return holding.get(0);
    }

    private static boolean holds(RunningServer node, String clientId) {
        return node.server().service().sessions().stream().anyMatch(s -> s.id().equals(clientId));
    }

    /**
     * A v2 client through nginx that landed on {@code node}, its welcome and lobby presence read. nginx picks the
     * node ({@code least_conn}, per worker); connections that land elsewhere are closed with 1000 once one arrived,
     * and their sessions are gone from their nodes before this returns.
     */
    public TestClient v2On(RunningServer node) {
        return connectOn(node, () -> TestClient.v2(nginx.uri("/ws")), c -> {
            String id = welcomeOf(c).clientId();
            c.nextOf(ServerMessage.Presence.class);
            return id;
        });
    }

    /** A tutorial-dialect client through nginx that landed on {@code node}, its welcome read (as {@link #v2On}). */
    public TestClient tutorialOn(RunningServer node) {
        return connectOn(node, () -> TestClient.tutorial(nginx.uri("/")), c -> welcomeOf(c).clientId());
    }

    /** The first message, which must be the welcome (in either dialect). */
    private static ServerMessage.Welcome welcomeOf(TestClient c) {
        ServerMessage first = c.nextMessage();
        if (!(first instanceof ServerMessage.Welcome welcome)) {
            throw new AssertionError("expected a welcome, got " + first);
        }
        return welcome;
    }

    private TestClient connectOn(RunningServer node, Supplier<TestClient> connect,
                                 Function<TestClient, String> welcome) {
        if (!nodes.contains(node)) {
            throw new IllegalArgumentException("not a node of this cluster: " + node.port());
        }
        List<TestClient> elsewhere = new ArrayList<>();
        List<String> elsewhereIds = new ArrayList<>();
        try {
            for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
                TestClient c = connect.get();
                opened.push(c);
                String id = welcome.apply(c);
                if (nodeOf(id) == node) {
                    return c;
                }
                elsewhere.add(c);
                elsewhereIds.add(id);
            }
            throw new AssertionError("nginx sent none of " + MAX_ATTEMPTS + " connections to node "
                    + nodes.indexOf(node) + "; error log: " + nginx.readErrorLog());
        } finally {
            elsewhere.forEach(TestClient::close);
            await().atMost(WAIT).alias("sessions of the connections that landed elsewhere ended")
                    .until(() -> elsewhereIds.stream().noneMatch(id -> nodes.stream().anyMatch(n -> holds(n, id))));
        }
    }

    @Override
    public void close() {
        TestClient c;
        while ((c = opened.poll()) != null) {
            c.close();
        }
        nodes.forEach(RunningServer::close);
        nginx.close();
        redis.close();
    }
}
