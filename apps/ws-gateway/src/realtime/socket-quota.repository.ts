import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '@gad/platform';
import type { Redis } from 'ioredis';
import { WsRedisKeys } from './redis-keys';

/**
 * KEYS[1] the user's socket set. ARGV: [1] now (ms), [2] member `<instance>|<namespace>|<socketId>`,
 * [3] max sockets, [4] the member's expiry (its token's: the socket is disconnected then),
 * [5] instances known dead as `|a|b|` ('' = none).
 * Drops members whose token expired and members of dead instances, then adds the member unless the
 * user already holds `max` others. The key lives as long as its longest-lived member.
 */
const CLAIM_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if ARGV[5] ~= '' then
  for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    local instance = string.match(member, '^([^|]*)|')
    if instance and string.find(ARGV[5], '|' .. instance .. '|', 1, true) then
      redis.call('ZREM', KEYS[1], member)
    end
  end
end
if redis.call('ZSCORE', KEYS[1], ARGV[2]) == false and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[2])
local ttl = tonumber(ARGV[4]) - tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
`;

const CLAIM_COMMAND = 'gadWsClaimSocket';
type ScriptCommand = (...args: (string | number)[]) => Promise<unknown>;

/** One socket's place in its user's socket set. */
export interface SocketLease {
  agencyId: string;
  userId: string;
  /** `<instance>|<namespace>|<socketId>` (see {@link socketMember}). */
  member: string;
  /** When the socket's token expires (epoch ms); it is disconnected then and stops counting. */
  expiresAt: number;
}

/** The member of a socket: its instance first, so sockets of a dead instance can be told apart. */
export function socketMember(instance: string, namespace: string, socketId: string): string {
  return `${instance}|${namespace}|${socketId}`;
}

export const SOCKET_QUOTA_KEYS = Symbol('SOCKET_QUOTA_KEYS');

/**
 * Open sockets per user across every instance, and the instances themselves.
 *
 * A user's sockets are a ZSET (score = the socket's token expiry). Instances heartbeat into one
 * registry ZSET (score = heartbeat expiry; a stopped instance's score is the moment it stopped);
 * a claim is told which instances are dead and drops their members, so a killed instance's sockets
 * stop counting once its heartbeat expires, with no per-socket renewal (docs/adr/0008).
 */
@Injectable()
export class SocketQuotaRepository {
  private readonly claimScript: ScriptCommand;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(SOCKET_QUOTA_KEYS) private readonly keys: WsRedisKeys,
  ) {
    // EVALSHA with a fall-back to EVAL: a handshake does not send (and allocate) the script body.
    redis.defineCommand(CLAIM_COMMAND, { numberOfKeys: 1, lua: CLAIM_SCRIPT });
    this.claimScript = (redis as unknown as Record<string, ScriptCommand>)[CLAIM_COMMAND].bind(
      redis,
    );
  }

  /** Adds the socket unless its user already holds `max` live ones (dead instances' don't count). */
  async claim(
    lease: SocketLease,
    max: number,
    now: number,
    deadInstances: readonly string[],
  ): Promise<boolean> {
    const key = this.keys.userSockets(lease.agencyId, lease.userId);
    const dead = deadInstances.length > 0 ? `|${deadInstances.join('|')}|` : '';
    const result = await this.claimScript(key, now, lease.member, max, lease.expiresAt, dead);
    return result === 1;
  }

  async release(lease: SocketLease): Promise<void> {
    await this.redis.zrem(this.keys.userSockets(lease.agencyId, lease.userId), lease.member);
  }

  /**
   * Marks `instance` alive until `now + leaseMs`, forgets instances dead for longer than
   * `forgetAfterMs` (by then no socket of theirs can still be open), and returns the dead ones.
   */
  async heartbeat(
    instance: string,
    now: number,
    leaseMs: number,
    forgetAfterMs: number,
  ): Promise<string[]> {
    const key = this.keys.instances();
    const replies = await this.redis
      .multi()
      .zadd(key, now + leaseMs, instance)
      .zremrangebyscore(key, '-inf', now - forgetAfterMs)
      .zrangebyscore(key, '-inf', `(${now}`)
      .pexpire(key, forgetAfterMs + leaseMs)
      .exec();
    const [error, dead] = replies?.[2] ?? [new Error('heartbeat transaction discarded'), []];
    if (error) {
      throw error;
    }
    return (dead as string[]).filter((id) => id !== instance);
  }

  /** Every instance in the registry, split into live and dead (heartbeat expired) as of `now`. */
  async registry(now: number): Promise<{ live: Set<string>; dead: Set<string> }> {
    const flat = await this.redis.zrange(this.keys.instances(), 0, -1, 'WITHSCORES');
    const live = new Set<string>();
    const dead = new Set<string>();
    for (let i = 0; i + 1 < flat.length; i += 2) {
      (Number(flat[i + 1]) > now ? live : dead).add(flat[i]);
    }
    return { live, dead };
  }

  /** Marks `instance` dead from `now` on: its sockets stop counting at once. */
  async retire(instance: string, now: number): Promise<void> {
    await this.redis.zadd(this.keys.instances(), now, instance);
  }
}
