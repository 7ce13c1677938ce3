package dev.wschat.server.history;

import dev.wschat.protocol.ServerMessage;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The process {@link SqliteHistoryKillTest} kills: appends to one room in a loop, keeping a few hundred
 * appends in flight, and prints {@code ack <seq> <id>} for every one completed, in completion order.
 */
final class KillNineChild {
    private static final int IN_FLIGHT = 256;
    private static final long MAX_MESSAGES = 2_000_000;
    private static final long MAX_MILLIS = 120_000;

    private KillNineChild() {
    }

    public static void main(String[] args) throws InterruptedException {
        Path dataDir = Path.of(args[0]);
        long start = Long.parseLong(args.length > 1 ? args[1] : "0");
        PrintStream out = System.out;
        SqliteHistory history = new SqliteHistory(HistorySettings.defaults(dataDir).withMaxMessagesPerRoom(0));
        Semaphore window = new Semaphore(IN_FLIGHT);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_MILLIS);
        for (long i = start; i < start + MAX_MESSAGES && System.nanoTime() < deadline; i++) {
            window.acquire();
            ServerMessage.Chat draft = new ServerMessage.Chat("kill", "k-" + i, 0,
                    new ServerMessage.User("u1", "child"), "message " + i, "2026-11-26T00:00:00.000Z");
            history.append(draft, null, "u1", a -> {
                out.println("ack " + a.message().seq() + " " + a.message().id());
                out.flush();
            }).whenComplete((a, e) -> window.release());
        }
        history.close();
    }
}
