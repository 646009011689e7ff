/**
 * Lua of ws-gateway's per-recipient command log (`CommandLogRepository`), which keeps the commands
 * delivered to a unit or user so a reconnecting device replays what it missed.
 *
 * Appends one command: idempotent by commandId (a retried `command.issued` keeps its first seq),
 * seq from INCR, then drops entries beyond the count or older than the age (at most 200 per call),
 * reading the oldest entry one at a time: only the entries it drops and one more are read.
 * Entry member: `<seq>|<appendedAtMs>|<commandId>|<json without seq>`.
 * Here rather than in ws-gateway so the ws bench's baseline (tools/bench/ws.bench.ts) runs the same
 * script through the lib's index; in a module of its own, without imports.
 */
export const COMMAND_LOG_APPEND_SCRIPT = `
local existing = redis.call('HGET', KEYS[3], ARGV[1])
if existing then return {tonumber(existing), 0} end
local seq = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], seq, seq .. '|' .. ARGV[3] .. '|' .. ARGV[1] .. '|' .. ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], seq)
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
local cutoff = tonumber(ARGV[3]) - tonumber(ARGV[5])
local removed = 0
while removed < 200 do
  local member = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if not member then break end
  local _, _, appended, commandId = string.find(member, '^%d+|(%d+)|([^|]+)|')
  if removed < excess or tonumber(appended) < cutoff then
    redis.call('ZREM', KEYS[2], member)
    redis.call('HDEL', KEYS[3], commandId)
    removed = removed + 1
  else
    break
  end
end
redis.call('EXPIRE', KEYS[2], ARGV[6])
redis.call('EXPIRE', KEYS[3], ARGV[6])
redis.call('EXPIRE', KEYS[1], ARGV[7])
return {seq, 1}
`;
