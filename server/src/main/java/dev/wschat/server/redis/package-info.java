/**
 * The scaled-out implementations of the history and broker seams on Redis ({@code --redis}): {@link
 * dev.wschat.server.redis.RedisConnections} (the Lettuce client, its two connections and their health),
 * {@link dev.wschat.server.redis.RedisHistory} (one Lua script per message: dedup, seq, {@code XADD},
 * {@code PUBLISH}), {@link dev.wschat.server.redis.RedisBroker} (per-room subscriptions, delivery in seq order,
 * gaps repaired from the room's stream), {@link dev.wschat.server.redis.RedisPresence} (members across nodes) and
 * {@link dev.wschat.server.redis.RedisDirects} (direct messages to a user on another node).
 *
 * <p>Keys carry the room in a hash tag, so a room's keys share one Cluster slot: {@code {room}:meta} (hash of
 * {@code seq} and {@code epoch}), {@code {room}:stream} (entry id {@code <seq>-0}), {@code {room}:dedup:<sender>:<id>},
 * and the channel {@code {room}:ch}. A user's direct messages go through the channel {@code {u:<id>}:dm} (room names
 * have no {@code :}, so the two never meet).
 */
package dev.wschat.server.redis;
