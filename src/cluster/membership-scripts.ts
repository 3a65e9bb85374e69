// The membership table's operations as Lua scripts, each one atomic on the Redis server and timed
// by the server's own clock (TIME), so that nodes whose clocks disagree still agree on who is
// live. The table is a sorted set (member name -> last heartbeat, server ms) beside one hash per
// member (incarnation, address, joined). A member is live while its last heartbeat is within the
// bound; one silent for ten bounds is swept from the table.
//
// The scripts reach the member hashes by a key prefix passed as an argument, not as declared keys:
// fine on one Redis (or a primary with replicas), not on Redis Cluster, where the table would need
// one hash slot ({cluster} in every key).

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: table, own hash. ARGV: name, incarnation, address, bound ms.
 * Returns {1, now} when joined; {0, incarnation} when a live member of another incarnation holds
 * the name (a node started twice with one name, or a restart before the old one is seen down).
 */
export const JOIN = `${NOW}
local holder = redis.call('HGET', KEYS[2], 'incarnation')
local seen = redis.call('ZSCORE', KEYS[1], ARGV[1])
if holder and holder ~= ARGV[2] and seen and tonumber(seen) >= now - tonumber(ARGV[4]) then
  return {0, holder}
end
redis.call('HSET', KEYS[2], 'incarnation', ARGV[2], 'address', ARGV[3], 'joined', now)
redis.call('ZADD', KEYS[1], now, ARGV[1])
return {1, now}`;

/**
 * KEYS: table, own hash. ARGV: name, incarnation, bound ms.
 * Returns 1: beat recorded; 0: the name is no longer ours (another incarnation took it, or it was
 * swept); -1: our last beat is older than the bound, so every other node has seen us down: we
 * must not act as a member any more, even though nobody took the name yet.
 */
export const HEARTBEAT = `${NOW}
if redis.call('HGET', KEYS[2], 'incarnation') ~= ARGV[2] then return 0 end
local seen = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not seen or tonumber(seen) < now - tonumber(ARGV[3]) then return -1 end
redis.call('ZADD', KEYS[1], now, ARGV[1])
return 1`;

/** KEYS: table, own hash. ARGV: name, incarnation. Leaves only if the name is still ours. */
export const LEAVE = `if redis.call('HGET', KEYS[2], 'incarnation') ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[1])
return 1`;

/**
 * KEYS: table. ARGV: bound ms, member hash prefix, sweep after ms.
 * Returns {now, name1, incarnation1, address1, joined1, name2, ...} for the live members, after
 * sweeping the ones silent for longer than the sweep bound.
 */
export const VIEW = `${NOW}
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
for _, name in ipairs(gone) do
  redis.call('DEL', ARGV[2] .. name)
  redis.call('ZREM', KEYS[1], name)
end
local out = {now}
local live = redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[1]), '+inf')
for _, name in ipairs(live) do
  local h = redis.call('HMGET', ARGV[2] .. name, 'incarnation', 'address', 'joined')
  if h[1] then
    out[#out + 1] = name
    out[#out + 1] = h[1]
    out[#out + 1] = h[2] or ''
    out[#out + 1] = h[3] or '0'
  end
end
return out`;
