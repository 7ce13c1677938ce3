/**
 * The Redis adapter ({@code --redis}): the scaled-out implementation of every seam, on one connection provider.
 *
 * <p>Where the Redis implementations live: here, together, not beside their seams' interfaces. The seam packages
 * ({@code history}, {@code broker}, {@code presence}) hold each interface with its embedded default; this package
 * holds the Redis side of all of them, because they share what must stay one per node and package-private: the
 * connections ({@link dev.wschat.server.redis.RedisConnections}: the Lettuce client, its command and pub/sub
 * connections, their health, scripts by {@code EVALSHA}, one background thread), the key names
 * ({@link dev.wschat.server.redis.RedisKeys}), the logging of refused commands
 * ({@link dev.wschat.server.redis.RedisErrors}) and the batched pub/sub subscriptions
 * ({@link dev.wschat.server.redis.Subscriptions}). Only {@code ChatServer.openRedis} names the implementations; the
 * rest of the server sees the seams. A new seam's Redis implementation goes here and takes a
 * {@code RedisConnections}, as the others do.
 *
 * <p>One class per seam: {@link dev.wschat.server.redis.RedisHistory} (history: one Lua script per message: dedup,
 * seq, {@code XADD}, {@code PUBLISH}), {@link dev.wschat.server.redis.RedisBroker} (broker: per-room subscriptions;
 * each room's delivery in seq order with gaps repaired from its stream is a
 * {@link dev.wschat.server.redis.RoomOrder}), {@link dev.wschat.server.redis.RedisPresence} (presence: members across
 * nodes), {@link dev.wschat.server.redis.RedisDirects} (direct messages to a user on another node),
 * {@link dev.wschat.server.redis.RedisTakeovers} (sessions resumed on another node) and
 * {@link dev.wschat.server.redis.RedisAwayRegistry} (sessions kept for a resume on any node).
 *
 * <p>Failures: Redis not answering (not connected, a full queue, a timeout) or refusing a command reaches the seams'
 * callers as {@link dev.wschat.server.backend.BackendUnavailableException} ({@code HistoryUnavailableException} from
 * history), which clients see as {@code unavailable}.
 */
package dev.wschat.server.redis;
