// Lua scripts of the Redis work queue; each runs atomically. Times come from Redis (TIME) so that
// the processes' clocks do not matter. Key names (see work-queue.ts) are passed in KEYS, except the
// per-room list that TAKE discovers, built from the prefix in ARGV (fine on a single Redis; a
// cluster would need hash tags).

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

const WAKE = (wakeKey: string, capArg: string) => `
redis.call('RPUSH', ${wakeKey}, '1')
redis.call('LTRIM', ${wakeKey}, 0, tonumber(${capArg}) - 1)
`;

/** KEYS: seen:<id>, jobs, room:<room>, sched, wake. ARGV: id, jobJson, roomId, dedupeTtlSeconds, wakeCap. */
export const ENQUEUE = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[4]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if redis.call('RPUSH', KEYS[3], ARGV[1]) == 1 then
  ${NOW}
  redis.call('ZADD', KEYS[4], now, ARGV[3])
  ${WAKE('KEYS[5]', 'ARGV[5]')}
end
return 1
`;

/**
 * KEYS: sched, jobs, attempts, owner, wake. ARGV: roomKeyPrefix, leaseMs, leaseToken.
 * Returns {1, jobJson, attempt, roomId} or {0, now, nextDueScore | -1}.
 */
export const TAKE = `
${NOW}
for _ = 1, 32 do
  local due = redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE', 'LIMIT', 0, 1)
  local room = due[1]
  if not room then
    -- Nothing is ready: any wake tokens left are stale.
    redis.call('DEL', KEYS[5])
    local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {0, now, nxt[2] or -1}
  end
  local list = ARGV[1] .. room
  local id = redis.call('LINDEX', list, 0)
  local json = id and redis.call('HGET', KEYS[2], id)
  if json then
    local attempt = redis.call('HINCRBY', KEYS[3], id, 1)
    redis.call('HSET', KEYS[4], room, ARGV[3])
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), room)
    -- Pass the baton: if more rooms are ready and no token is left, leave one for the next waiter.
    if redis.call('LLEN', KEYS[5]) == 0 then
      local more = redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE', 'LIMIT', 0, 1)
      if more[1] then redis.call('RPUSH', KEYS[5], '1') end
    end
    return {1, json, attempt, room}
  end
  -- Repair a room left inconsistent (its job record is gone): drop the dangling id.
  if id then
    redis.call('LPOP', list)
    redis.call('HDEL', KEYS[3], id)
  end
  redis.call('HDEL', KEYS[4], room)
  if redis.call('LLEN', list) == 0 then
    redis.call('ZREM', KEYS[1], room)
  else
    redis.call('ZADD', KEYS[1], now, room)
  end
end
return {0, now, now}
`;

/** KEYS: owner, sched. ARGV: roomId, leaseToken, leaseMs. */
export const RENEW = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
${NOW}
redis.call('ZADD', KEYS[2], 'XX', now + tonumber(ARGV[3]), ARGV[1])
return 1
`;

/** KEYS: owner, sched, jobs, attempts, wake, room:<room>. ARGV: roomId, leaseToken, jobId, wakeCap. */
export const COMPLETE = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('LINDEX', KEYS[6], 0) == ARGV[3] then
  redis.call('LPOP', KEYS[6])
else
  redis.call('LREM', KEYS[6], 1, ARGV[3])
end
redis.call('HDEL', KEYS[3], ARGV[3])
redis.call('HDEL', KEYS[4], ARGV[3])
if redis.call('LLEN', KEYS[6]) > 0 then
  ${NOW}
  redis.call('ZADD', KEYS[2], now, ARGV[1])
  ${WAKE('KEYS[5]', 'ARGV[4]')}
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return 1
`;

/** KEYS: owner, sched, wake. ARGV: roomId, leaseToken, wakeCap. Score 0: served before anything else. */
export const RELEASE = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
${WAKE('KEYS[3]', 'ARGV[3]')}
return 1
`;
