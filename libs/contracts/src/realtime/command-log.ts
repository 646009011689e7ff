import type { Envelope } from '../envelope/envelope.schema';
import type { CommandIssuedV1 } from '../events/command-issued/v1';
import { roomOf } from './dispatch-namespace';

/*
 * The per-recipient command log in Redis and its channel: the contract between the producer of
 * commands (notification-service's relay, `CommandRelay` of `@gad/bus`) and ws-gateway, which
 * delivers, replays and checks acks against it (docs/adr/0020). Plain strings and functions, no
 * Redis client: tests and benches run the same script.
 */

/**
 * Lua of the per-recipient command log, which keeps the commands sent to a unit or user so a
 * reconnecting device replays what it missed.
 *
 * Appends one command AND publishes it, in one atomic call: idempotent by commandId (a retried
 * relay keeps its first seq and publishes nothing), seq from INCR, then drops entries beyond the
 * count or older than the age (at most 200 per call), reading the oldest entry one at a time: only
 * the entries it drops and one more are read. Then PUBLISHes `<room>|<seq>|<json>` on the command
 * channel (ARGV[8]; keyless, so it works from a script on Redis Cluster too, where PUBLISH reaches
 * every node), which every ws-gateway instance subscribes to.
 * Entry member: `<seq>|<appendedAtMs>|<commandId>|<json without seq>`.
 * The ws bench's durable baseline (tools/bench/ws-bare-server.ts) runs the same script.
 *
 * KEYS: seq counter, log ZSET, commandId → seq HASH (one hash tag: one Cluster slot).
 * ARGV: commandId, json, nowMs, maxLen, maxAgeMs, logTtlS, counterTtlS, channel, room.
 * Returns `{seq, inserted}` (inserted 0 for a command already in the log).
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
if ARGV[8] and ARGV[8] ~= '' then
  redis.call('PUBLISH', ARGV[8], ARGV[9] .. '|' .. seq .. '|' .. ARGV[2])
end
return {seq, 1}
`;

/**
 * Looks one command up in a recipient's log: its member (`<seq>|<appendedAt>|<commandId>|<json>`)
 * or nil. KEYS: log ZSET, commandId → seq HASH. ARGV: commandId.
 */
export const COMMAND_LOG_FIND_SCRIPT = `
local seq = redis.call('HGET', KEYS[2], ARGV[1])
if not seq then return false end
return redis.call('ZRANGE', KEYS[1], seq, seq, 'BYSCORE')[1] or false
`;

/** The keys of one recipient's command log; `{agency:kind:id}` keeps them in one Cluster slot. */
export function commandLogKeys(
  prefix: string,
  agencyId: string,
  kind: string,
  id: string,
): { seq: string; log: string; ids: string } {
  const base = `${prefix}gad:ws:cmd:{${agencyId}:${kind}:${id}}`;
  return { seq: `${base}:seq`, log: `${base}:log`, ids: `${base}:ids` };
}

/**
 * The pub/sub channel every ws-gateway instance subscribes to: messages `<room>|<seq>|<json>`,
 * one per appended command, in log order.
 */
export function commandChannelOf(prefix: string): string {
  return `${prefix}gad:ws:commands`;
}

/** Splits a command channel message into the room, the seq and the command's JSON. */
export function parseCommandMessage(
  message: string,
): { room: string; seq: number; json: string } | undefined {
  const first = message.indexOf('|');
  const second = message.indexOf('|', first + 1);
  if (first <= 0 || second <= first) {
    return undefined;
  }
  const seq = Number(message.slice(first + 1, second));
  return Number.isSafeInteger(seq) && seq > 0
    ? { room: message.slice(0, first), seq, json: message.slice(second + 1) }
    : undefined;
}

export interface CommandLogRetention {
  /** The newest `maxLen` commands per recipient, none older than `maxAgeMs`. */
  maxLen: number;
  maxAgeMs: number;
}

/** Room of a command's recipient on `/field` (throws for an id that is not a room id). */
export function recipientRoomOf(agencyId: string, recipient: CommandIssuedV1['recipient']): string {
  return recipient.kind === 'unit'
    ? roomOf.unit(agencyId, recipient.id)
    : roomOf.user(agencyId, recipient.id);
}

/**
 * KEYS and ARGV of {@link COMMAND_LOG_APPEND_SCRIPT} for one `command.issued` envelope: the
 * command is stored with the envelope's `traceparent`, so the device can return it on its ack.
 */
export function commandAppendCall(
  prefix: string,
  envelope: Envelope<CommandIssuedV1>,
  now: number,
  retention: CommandLogRetention,
): { keys: [string, string, string]; args: (string | number)[] } {
  const command = envelope.data;
  const { recipient } = command;
  const keys = commandLogKeys(prefix, envelope.agencyId, recipient.kind, recipient.id);
  const stored = envelope.traceparent ? { ...command, traceparent: envelope.traceparent } : command;
  const ttlS = Math.ceil(retention.maxAgeMs / 1000) + 60;
  return {
    keys: [keys.seq, keys.log, keys.ids],
    args: [
      command.commandId,
      JSON.stringify(stored),
      now,
      retention.maxLen,
      retention.maxAgeMs,
      ttlS,
      // The counter outlives the log so sequences never restart while a device may still hold one.
      Math.max(ttlS * 30, 30 * 86_400),
      commandChannelOf(prefix),
      recipientRoomOf(envelope.agencyId, recipient),
    ],
  };
}
