/**
 * Server-side scripts. Each touches keys of one hash tag only (one source,
 * or the shared blocks), so it runs unchanged on a Redis Cluster, and each is
 * atomic, so concurrent sensors never see half a decision.
 */
import { LuaScript } from './connection.js';
import { PERMANENT } from './keys.js';

/**
 * One sensor's evidence for one source, and the fleet-wide counts after it.
 * KEYS: seen, by, NB destination buckets (newest first), NB port buckets.
 * ARGV: now, stale-before (ms), window (ms), bucket ttl (ms), sensor, detail
 * JSON, NB, number of destinations, number of ports, destinations..., ports...
 * Returns {distinct destinations, distinct ports, sensors}.
 */
export const EVIDENCE = new LuaScript(`
local nb, nd, np = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[5])
redis.call('HSET', KEYS[2], ARGV[5], ARGV[6])
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2], 'LIMIT', 0, 500)
if #stale > 0 then
  redis.call('ZREM', KEYS[1], unpack(stale))
  redis.call('HDEL', KEYS[2], unpack(stale))
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if nd > 0 then
  redis.call('PFADD', KEYS[3], unpack(ARGV, 10, 9 + nd))
  redis.call('PEXPIRE', KEYS[3], ARGV[4])
end
if np > 0 then
  redis.call('PFADD', KEYS[3 + nb], unpack(ARGV, 10 + nd, 9 + nd + np))
  redis.call('PEXPIRE', KEYS[3 + nb], ARGV[4])
end
return { redis.call('PFCOUNT', unpack(KEYS, 3, 2 + nb)), redis.call('PFCOUNT', unpack(KEYS, 3 + nb, 2 + 2 * nb)), redis.call('ZCARD', KEYS[1]) }
`);

/**
 * Appends one decision to the stream and updates the live set, unless its id
 * was already recorded (a decision re-sent after a lost reply). A block never
 * shortens a longer live block of the same cidr: the stream entry then
 * carries the longer expiry and m=1, so every sensor ends with the same one.
 * KEYS: log, live, info, ids. ARGV: now, maxlen, id, op, cidr, exp (0 =
 * until removed), dl, by, at, why. Returns the stream id, or nil for a repeat.
 */
export const DECIDE = new LuaScript(`
local now = tonumber(ARGV[1])
local id, op, cidr, exp = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if redis.call('ZSCORE', KEYS[4], id) then return false end
redis.call('ZADD', KEYS[4], ARGV[1], id)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - 86400000)
local merged = '0'
if op == 'block' then
  local score = exp
  if exp == '0' then score = '${PERMANENT}' end
  local old = redis.call('ZSCORE', KEYS[2], cidr)
  if old and tonumber(old) > tonumber(score) then
    score = old
    merged = '1'
    if tonumber(old) >= ${PERMANENT} then exp = '0' else exp = old end
  end
  redis.call('ZADD', KEYS[2], score, cidr)
  redis.call('HSET', KEYS[3], cidr, cjson.encode({id = id, op = op, cidr = cidr, exp = exp, dl = ARGV[7], by = ARGV[8], at = ARGV[9], why = ARGV[10]}))
else
  redis.call('ZREM', KEYS[2], cidr)
  redis.call('HDEL', KEYS[3], cidr)
end
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'id', id, 'op', op, 'cidr', cidr, 'exp', exp, 'dl', ARGV[7], 'by', ARGV[8], 'at', ARGV[9], 'why', ARGV[10], 'm', merged)
`);

/** Drops expired blocks from the live set (at most 500 per call). KEYS: live, info. ARGV: now. Returns how many. */
export const PRUNE_BLOCKS = new LuaScript(`
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 500)
if #gone > 0 then
  redis.call('ZREM', KEYS[1], unpack(gone))
  redis.call('HDEL', KEYS[2], unpack(gone))
end
return #gone
`);

/**
 * The stream head and the live set, read atomically, so a new sensor's
 * position matches exactly what it loaded. KEYS: log, info.
 * Returns {head id or "0-0", [cidr, JSON, ...]}.
 */
export const SNAPSHOT = new LuaScript(`
local head = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local id = '0-0'
if #head > 0 then id = head[1][1] end
return { id, redis.call('HGETALL', KEYS[2]) }
`);
