package dev.wschat.server.redis;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.wschat.protocol.ServerMessage;
import dev.wschat.server.history.Appended;
import dev.wschat.server.history.History;
import dev.wschat.server.history.HistorySettings;
import dev.wschat.server.history.HistoryUnavailableException;
import dev.wschat.server.history.Page;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * History in Redis, shared by every node: per room a hash {@code {room}:meta} (the last {@code seq} and the
 * {@code epoch}) and a stream {@code {room}:stream} whose entry ids are {@code <seq>-0} ({@link RedisKeys}). An append
 * is one Lua script ({@code EVALSHA}, sent again with {@code EVAL} after {@code NOSCRIPT}): dedup by the sender's
 * client message id, the next seq ({@code HINCRBY}), {@code XADD} with an exact {@code MAXLEN =} (so a room keeps
 * exactly {@code --history-max-messages}; trimming one entry per append costs O(1)), then {@code PUBLISH} of the
 * stored message with its seq and epoch on {@code {room}:ch}, all atomically: what was published is in the stream.
 *
 * <p>Ordering: every script goes over one connection, and Redis runs one connection's commands in order, so the
 * seqs this node gets follow the order it sent the appends, and the replies come back in that order. Each append's
 * {@code onStored} is attached before its command is written and runs when its reply is read, on the connection's
 * thread: a room's completions on this node run in seq order (the {@link History} contract). Nothing blocks there.
 *
 * <p>At most {@link HistorySettings#queueCapacity()} ({@code --history-queue}) appends wait for their reply; past it
 * an append fails at once with {@link HistoryUnavailableException}, as while Redis is unreachable.
 *
 * <p>Dedup is per room and sender (the key carries the room's hash tag so the script touches one Cluster slot),
 * for {@link HistorySettings#dedupWindow()}. An append without a client message id is deduplicated by the
 * message's own id for {@link #REPLAY_WINDOW_MS}: Lettuce resends a command that was in flight when its connection
 * dropped, and the script must not store that message twice.
 *
 * <p>The epoch is made when a room's meta hash is missing (a new room, or a Redis that lost its data): then the
 * stream is deleted with it and seqs start again at 1. Reads also create it, so a joiner's epoch stays valid after
 * the first message. Retention by age: each entry keeps its store time, pages leave out older entries than
 * {@code --history-max-age}, each append trims up to 8 aged entries from the front, and a stream idle that long
 * expires as a whole (the meta hash stays, so seqs go on).
 */
public final class RedisHistory implements History {
    /** How long an append without a client message id is remembered by its message id (Lettuce's replay window). */
    static final long REPLAY_WINDOW_MS = 60_000;
    private static final Logger LOG = LogManager.getLogger(RedisHistory.class);
    private static final long CLOSE_WAIT_MS = 10_000;

    private static final RedisConnections.Script APPEND = RedisConnections.Script.of("append", """
            local prev = redis.call('GET', KEYS[3])
            if prev then
              local e = redis.call('XRANGE', KEYS[2], prev .. '-0', prev .. '-0')
              local m = false
              if e[1] then m = e[1][2][2] end
              return {1, tonumber(prev), redis.call('HGET', KEYS[1], 'epoch') or '', m}
            end
            local epoch = redis.call('HGET', KEYS[1], 'epoch')
            if not epoch then
              epoch = ARGV[2]
              redis.call('DEL', KEYS[2])
              redis.call('HSET', KEYS[1], 'epoch', epoch)
            end
            local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
            local id = seq .. '-0'
            if tonumber(ARGV[3]) > 0 then
              redis.call('XADD', KEYS[2], 'MAXLEN', '=', ARGV[3], id, 'm', ARGV[1], 't', ARGV[4])
            else
              redis.call('XADD', KEYS[2], id, 'm', ARGV[1], 't', ARGV[4])
            end
            local cutoff = tonumber(ARGV[5])
            if cutoff > 0 then
              local old = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 8)
              local aged = nil
              for i = 1, #old do
                if tonumber(old[i][2][4]) < cutoff then aged = old[i][1] else break end
              end
              if aged then
                redis.call('XTRIM', KEYS[2], 'MINID', (tonumber(string.match(aged, '^(%d+)')) + 1) .. '-0')
              end
              redis.call('PEXPIRE', KEYS[2], ARGV[8])
            end
            redis.call('SET', KEYS[3], seq, 'PX', ARGV[6])
            redis.call('PUBLISH', ARGV[7], 'c ' .. seq .. ' ' .. epoch .. ' ' .. ARGV[1])
            return {0, seq, epoch}
            """);

    /** ARGV: mode (recent, before, after, none), the id range start, COUNT, an epoch for a room that has none. */
    private static final RedisConnections.Script READ = RedisConnections.Script.of("read", """
            local epoch = redis.call('HGET', KEYS[1], 'epoch')
            if not epoch then
              epoch = ARGV[4]
              redis.call('DEL', KEYS[2])
              redis.call('HSET', KEYS[1], 'epoch', epoch)
            end
            local last = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
            local mode = ARGV[1]
            local entries = {}
            if mode == 'recent' then
              entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[3])
            elseif mode == 'before' then
              entries = redis.call('XREVRANGE', KEYS[2], ARGV[2], '-', 'COUNT', ARGV[3])
            elseif mode == 'after' then
              entries = redis.call('XRANGE', KEYS[2], ARGV[2], '+', 'COUNT', ARGV[3])
            end
            local out = {epoch, last}
            for i = 1, #entries do
              local f = entries[i][2]
              local m, t = '', '0'
              for j = 1, #f, 2 do
                if f[j] == 'm' then m = f[j + 1] elseif f[j] == 't' then t = f[j + 1] end
              end
              out[#out + 1] = entries[i][1]
              out[#out + 1] = m
              out[#out + 1] = t
            end
            return out
            """);

    private final RedisConnections redis;
    private final HistorySettings settings;
    private final Clock clock;
    private final AtomicLong refused = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean closed;

    /**
     * Creates the history on a node's Redis connections.
     *
     * @param redis    the connections
     * @param settings retention ({@code maxMessagesPerRoom}, {@code maxAge}) and the dedup window
     */
    public RedisHistory(RedisConnections redis, HistorySettings settings) {
        this(redis, settings, Clock.systemUTC());
    }

    /**
     * Creates the history with a clock for store times (retention by age is measured with it).
     *
     * @param redis    the connections
     * @param settings retention and the dedup window
     * @param clock    the time messages are stored at
     */
    public RedisHistory(RedisConnections redis, HistorySettings settings, Clock clock) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        redis.preload(APPEND, READ);
    }

    private String newEpoch() {
        return Long.toString(clock.millis(), 36) + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Override
    public CompletionStage<Appended> append(ServerMessage.Chat draft, String clientMsgId, String senderKey,
                                            Consumer<Appended> onStored) {
        Objects.requireNonNull(draft, "draft");
        Objects.requireNonNull(draft.room(), "draft.room");
        Objects.requireNonNull(draft.id(), "draft.id");
        Objects.requireNonNull(draft.timestamp(), "draft.timestamp");
        Objects.requireNonNull(senderKey, "senderKey");
        Objects.requireNonNull(onStored, "onStored");
        CompletableFuture<Appended> future = new CompletableFuture<>();
        if (closed) {
            refused.incrementAndGet();
            future.completeExceptionally(new HistoryUnavailableException("history is closed: " + redis.where()));
            return future;
        }
        if (inFlight.incrementAndGet() > settings.queueCapacity()) {
            inFlight.decrementAndGet();
            refused.incrementAndGet();
            future.completeExceptionally(new HistoryUnavailableException("history queue full ("
                    + settings.queueCapacity() + " appends waiting for " + redis.where() + ")"));
            return future;
        }
        String room = draft.room();
        long now = clock.millis();
        String dedupKey;
        long dedupMs;
        if (clientMsgId != null) {
            dedupKey = RedisKeys.dedup(room, senderKey, clientMsgId);
            dedupMs = Math.max(1, settings.dedupWindow().toMillis());
        } else {
            dedupKey = RedisKeys.sent(room, senderKey, draft.id());
            dedupMs = REPLAY_WINDOW_MS;
        }
        long maxAgeMs = settings.maxAge().toMillis();
        String[] keys = {RedisKeys.meta(room), RedisKeys.stream(room), dedupKey};
        String[] args = {encode(draft), newEpoch(), Integer.toString(settings.maxMessagesPerRoom()),
            Long.toString(now), Long.toString(maxAgeMs > 0 ? now - maxAgeMs : 0), Long.toString(dedupMs),
            RedisKeys.roomChannel(room), Long.toString(Math.max(1, maxAgeMs))};
        redis.eval(APPEND, keys, args, (reply, failure) -> {
            try {
                if (failure != null) {
                    refused.incrementAndGet();
                    future.completeExceptionally(unavailable(failure));
                    return;
                }
                Appended appended = appended(draft, reply);
                try {
                    onStored.accept(appended);
                } catch (RuntimeException e) {
                    LOG.warn("[{}] onStored failed for seq {}", room, appended.message().seq(), e);
                }
                future.complete(appended);
            } catch (RuntimeException e) {
                refused.incrementAndGet();
                future.completeExceptionally(new HistoryUnavailableException("redis: unexpected append reply "
                        + reply, e));
            } finally {
                inFlight.decrementAndGet();
            }
        });
        return future;
    }

    private static Appended appended(ServerMessage.Chat draft, List<Object> reply) {
        boolean duplicate = ((Long) reply.get(0)) == 1L;
        long seq = (Long) reply.get(1);
        if (!duplicate) {
            return new Appended(withSeq(draft, seq), false);
        }
        Object original = reply.size() > 3 ? reply.get(3) : null;
        ServerMessage.Chat earlier = original instanceof String json ? decode(draft.room(), seq, json)
                : withSeq(draft, seq); // retention removed the original: answer with the seq it had
        return new Appended(earlier, true);
    }

    private static ServerMessage.Chat withSeq(ServerMessage.Chat draft, long seq) {
        return new ServerMessage.Chat(draft.room(), draft.id(), seq, draft.from(), draft.message(), draft.timestamp());
    }

    /** The message as the stream and the channel carry it (room and seq are in the key and the entry id). */
    static String encode(ServerMessage.Chat m) {
        JsonObject o = new JsonObject();
        o.addProperty("i", m.id());
        o.addProperty("u", m.from().id());
        o.addProperty("n", m.from().username());
        o.addProperty("ts", m.timestamp());
        o.addProperty("b", m.message());
        return o.toString();
    }

    static ServerMessage.Chat decode(String room, long seq, String json) {
        JsonObject o = JsonParser.parseString(json).getAsJsonObject();
        return new ServerMessage.Chat(room, o.get("i").getAsString(), seq,
                new ServerMessage.User(o.get("u").getAsString(), o.get("n").getAsString()), o.get("b").getAsString(),
                o.get("ts").getAsString());
    }

    /** One read: the room's epoch and last seq, and the entries asked for (newest first for recent and before). */
    private record Read(String epoch, long lastSeq, List<ServerMessage.Chat> messages, int fetched) {
    }

    private CompletionStage<Read> read(String room, String mode, String start, int count) {
        CompletableFuture<Read> future = new CompletableFuture<>();
        long cutoff = settings.maxAge().isZero() ? Long.MIN_VALUE : clock.millis() - settings.maxAge().toMillis();
        redis.eval(READ, new String[] {RedisKeys.meta(room), RedisKeys.stream(room)},
                new String[] {mode, start, Integer.toString(count), newEpoch()}, (reply, failure) -> {
                    if (failure != null) {
                        future.completeExceptionally(unavailable(failure));
                        return;
                    }
                    try {
                        List<ServerMessage.Chat> messages = new ArrayList<>((reply.size() - 2) / 3);
                        int fetched = 0;
                        for (int i = 2; i + 2 < reply.size(); i += 3) {
                            fetched++;
                            if (Long.parseLong((String) reply.get(i + 2)) < cutoff) {
                                continue; // older than --history-max-age: no longer kept
                            }
                            String id = (String) reply.get(i);
                            long seq = Long.parseLong(id.substring(0, id.indexOf('-')));
                            messages.add(decode(room, seq, (String) reply.get(i + 1)));
                        }
                        future.complete(new Read((String) reply.get(0), (Long) reply.get(1), messages, fetched));
                    } catch (RuntimeException e) {
                        future.completeExceptionally(new HistoryUnavailableException("redis: unexpected read reply",
                                e));
                    }
                });
        return future;
    }

    /** Redis not answering, as the {@link History} contract words it. */
    private static HistoryUnavailableException unavailable(Throwable failure) {
        return failure instanceof HistoryUnavailableException h ? h
                : new HistoryUnavailableException(failure.getMessage(), failure);
    }

    private static int count(int limit) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(0, (long) limit) + 1);
    }

    @Override
    public CompletionStage<Page> recent(String room, int limit) {
        Objects.requireNonNull(room, "room");
        int n = Math.max(0, limit);
        return read(room, "recent", "+", count(n)).thenApply(r -> {
            boolean hasMore = r.messages().size() > n;
            List<ServerMessage.Chat> page = oldestFirst(r.messages(), n);
            boolean complete = !hasMore && (page.isEmpty() ? r.lastSeq() == 0 : page.get(0).seq() == 1);
            return new Page(room, r.epoch(), page, hasMore, complete, r.lastSeq());
        });
    }

    @Override
    public CompletionStage<Page> after(String room, long seq, int limit) {
        Objects.requireNonNull(room, "room");
        int n = Math.max(0, limit);
        if (seq == Long.MAX_VALUE) {
            return read(room, "none", "", 1).thenApply(r -> new Page(room, r.epoch(), List.of(), false, false,
                    r.lastSeq()));
        }
        String start = seq < 0 ? "-" : (seq + 1) + "-0";
        return read(room, "after", start, count(n)).thenApply(r -> {
            boolean hasMore = r.messages().size() > n;
            List<ServerMessage.Chat> page = hasMore ? r.messages().subList(0, n) : r.messages();
            boolean complete = !hasMore && (page.isEmpty() ? seq == r.lastSeq() : page.get(0).seq() == seq + 1);
            return new Page(room, r.epoch(), page, hasMore, complete, r.lastSeq());
        });
    }

    @Override
    public CompletionStage<Page> before(String room, long seq, int limit) {
        Objects.requireNonNull(room, "room");
        int n = Math.min(MAX_PAGE, Math.max(0, limit));
        boolean none = seq <= 1;
        return read(room, none ? "none" : "before", none ? "" : (seq - 1) + "-0", count(n)).thenApply(r -> {
            boolean hasMore = r.messages().size() > n;
            List<ServerMessage.Chat> page = oldestFirst(r.messages(), n);
            boolean complete = !hasMore && (page.isEmpty() ? seq <= 1 || r.lastSeq() == 0 : page.get(0).seq() == 1);
            return new Page(room, r.epoch(), page, hasMore, complete, r.lastSeq());
        });
    }

    @Override
    public CompletionStage<String> epoch(String room) {
        Objects.requireNonNull(room, "room");
        return read(room, "none", "", 1).thenApply(Read::epoch);
    }

    private static List<ServerMessage.Chat> oldestFirst(List<ServerMessage.Chat> newestFirst, int n) {
        List<ServerMessage.Chat> page = new ArrayList<>(newestFirst.subList(0, Math.min(n, newestFirst.size())));
        Collections.reverse(page);
        return page;
    }

    @Override
    public long refusedAppends() {
        return refused.get();
    }

    /** Stops taking appends and waits (up to 10 s) for the replies of those already sent. */
    @Override
    public void close() {
        closed = true;
        long deadline = System.nanoTime() + CLOSE_WAIT_MS * 1_000_000;
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5); // close() runs on the stopping thread, never on an event loop
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (inFlight.get() > 0) {
            LOG.warn("redis: closing with {} appends unanswered", inFlight.get());
        }
    }
}
