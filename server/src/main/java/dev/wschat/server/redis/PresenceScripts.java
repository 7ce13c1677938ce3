package dev.wschat.server.redis;

/**
 * The Lua scripts of {@link RedisPresence}, one room each (its keys share the room's hash tag). Every change to a
 * room's member hash bumps the room's version and publishes {@code version \n op \n memberKey \n value} on the
 * room's presence channel in the same script, so a node that sees a version out of sequence knows it missed one.
 * Times are Redis's own ({@code TIME}), so the nodes' clocks never disagree about who expired.
 *
 * <p>KEYS ({@link RedisKeys#presence}): 1 the member hash, 2 the expiry sorted set, 3 the version counter, 4 the
 * hand-overs (a sorted set of the resume keys of sessions whose member another node resumed, by when that stops
 * counting). ARGV[1] is the room's presence channel, except for {@link #HANDED_OVER}.
 */
final class PresenceScripts {
    private static final String NOW = "local t = redis.call('TIME')\n"
            + "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n";

    /**
     * Puts members (ARGV[2] the TTL in ms, then pairs of member key and value) and pushes their expiry; a member
     * whose value is new or changed is announced ({@code P}). Used for add, rename and the periodic refresh, which
     * therefore re-registers whatever a sweep or a Redis failure lost. Returns the room's version.
     */
    static final RedisConnections.Script PUT = RedisConnections.Script.of("presence", "presence-put", NOW
            + "local ttl = tonumber(ARGV[2])\n"
            + "for i = 3, #ARGV, 2 do\n"
            + "  redis.call('ZADD', KEYS[2], now + ttl, ARGV[i])\n"
            + "  local old = redis.call('HGET', KEYS[1], ARGV[i])\n"
            + "  if old ~= ARGV[i + 1] then\n"
            + "    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])\n"
            + "    local v = redis.call('INCR', KEYS[3])\n"
            + "    redis.call('PUBLISH', ARGV[1], v .. '\\nP\\n' .. ARGV[i] .. '\\n' .. ARGV[i + 1])\n"
            + "  end\n"
            + "end\n"
            + "return tonumber(redis.call('GET', KEYS[3]) or '0')\n");

    /** Removes member ARGV[2] and announces it ({@link #DELETE}, {@link #HAND_OVER}); -1 when it was not there. */
    private static final String REMOVE = ""
            + "redis.call('ZREM', KEYS[2], ARGV[2])\n"
            + "local old = redis.call('HGET', KEYS[1], ARGV[2])\n"
            + "if not old then return -1 end\n"
            + "redis.call('HDEL', KEYS[1], ARGV[2])\n"
            + "local v = redis.call('INCR', KEYS[3])\n"
            + "redis.call('PUBLISH', ARGV[1], v .. '\\nD\\n' .. ARGV[2] .. '\\n' .. old)\n"
            + "if redis.call('HLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[2], KEYS[3]) end\n";

    /**
     * Removes one member (ARGV[2]) and announces it ({@code D}); the room's keys go when it is empty. Returns the
     * room's version, or -1 when the member was not there.
     */
    static final RedisConnections.Script DELETE = RedisConnections.Script.of("presence", "presence-delete", REMOVE
            + "return v\n");

    /**
     * Removes one member (ARGV[2]) as {@link #DELETE} does and, in the same step, records that its session (resume key
     * ARGV[3]) was in the room until now, for ARGV[4] ms: a node that sees the member gone has the hand-over to find.
     * Expired hand-overs go; the set itself expires with its newest. Returns as {@link #DELETE}.
     */
    static final RedisConnections.Script HAND_OVER = RedisConnections.Script.of("presence", "presence-hand-over",
            NOW + REMOVE
            + "local ttl = tonumber(ARGV[4])\n"
            + "redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)\n"
            + "redis.call('ZADD', KEYS[4], now + ttl, ARGV[3])\n"
            + "redis.call('PEXPIRE', KEYS[4], ttl)\n"
            + "return v\n");

    /**
     * Takes the hand-over of resume key ARGV[1] (its session re-joins the room): 1 when it was recorded and has not
     * expired, else 0; gone either way, so a later join of the same session counts as a join again.
     */
    static final RedisConnections.Script HANDED_OVER = RedisConnections.Script.of("presence", "presence-handed-over",
            NOW + "local expiry = redis.call('ZSCORE', KEYS[4], ARGV[1])\n"
            + "if not expiry then return 0 end\n"
            + "redis.call('ZREM', KEYS[4], ARGV[1])\n"
            + "if tonumber(expiry) < now then return 0 end\n"
            + "return 1\n");

    /**
     * Removes up to ARGV[2] members whose expiry passed, announcing each ({@code D}), atomically: of several nodes
     * sweeping one room, exactly one removes (and reports) each. Returns {version, {key, value, key, value...}}.
     */
    static final RedisConnections.Script SWEEP = RedisConnections.Script.of("presence", "presence-sweep", NOW
            + "local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))\n"
            + "local out = {}\n"
            + "for _, k in ipairs(expired) do\n"
            + "  redis.call('ZREM', KEYS[2], k)\n"
            + "  local old = redis.call('HGET', KEYS[1], k)\n"
            + "  if old then\n"
            + "    redis.call('HDEL', KEYS[1], k)\n"
            + "    local v = redis.call('INCR', KEYS[3])\n"
            + "    redis.call('PUBLISH', ARGV[1], v .. '\\nD\\n' .. k .. '\\n' .. old)\n"
            + "    out[#out + 1] = k\n"
            + "    out[#out + 1] = old\n"
            + "  end\n"
            + "end\n"
            + "if #out > 0 and redis.call('HLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[2], KEYS[3]) end\n"
            + "return {tonumber(redis.call('GET', KEYS[3]) or '0'), out}\n");

    /** The room's version and every member, read at one instant: {version, {key, value, ...}}. */
    static final RedisConnections.Script SNAPSHOT = RedisConnections.Script.of("presence", "presence-snapshot",
            "return {tonumber(redis.call('GET', KEYS[3]) or '0'), redis.call('HGETALL', KEYS[1])}\n");

    private PresenceScripts() {
    }

    /** Every script, to preload. */
    static RedisConnections.Script[] all() {
        return new RedisConnections.Script[] {PUT, DELETE, HAND_OVER, HANDED_OVER, SWEEP, SNAPSHOT};
    }
}
