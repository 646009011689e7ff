import { Inject, Injectable } from '@nestjs/common';
import { isClusterConnection } from '@gad/bus';
import { REDIS_CLIENT } from '@gad/platform';
import type { Redis } from 'ioredis';
import { WsRedisKeys } from './redis-keys';

const CLAIM_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[2]) == false and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

/**
 * Extends leases: KEYS are users' socket sets, ARGV[1] the new expiry score, ARGV[2] the sets' TTL
 * (ms), ARGV[2 + i] the member of KEYS[i]. `XX`: a released lease is not brought back.
 */
const RENEW_SCRIPT = `
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', ARGV[1], ARGV[i + 2])
  redis.call('PEXPIRE', key, ARGV[2])
end
return #KEYS
`;

const CLAIM_COMMAND = 'gadWsClaimSocketLease';
const RENEW_COMMAND = 'gadWsRenewSocketLeases';
const RENEW_ONE_COMMAND = 'gadWsRenewSocketLease';
type ScriptCommand = (...args: (string | number)[]) => Promise<unknown>;

export interface SocketLease {
  agencyId: string;
  userId: string;
  member: string;
}

export const SOCKET_QUOTA_KEYS = Symbol('SOCKET_QUOTA_KEYS');

/**
 * Open sockets per user across every instance: a ZSET of leases that expire unless renewed, so a
 * killed instance's sockets stop counting after one lease.
 */
@Injectable()
export class SocketQuotaRepository {
  /** On a Redis Cluster a script may only touch one slot, so each lease is renewed on its own. */
  private readonly cluster: boolean;
  private readonly claimScript: ScriptCommand;
  private readonly renewScript: ScriptCommand;
  private readonly renewOneScript: ScriptCommand;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(SOCKET_QUOTA_KEYS) private readonly keys: WsRedisKeys,
  ) {
    // EVALSHA with a fall-back to EVAL: a handshake does not send (and allocate) the script body.
    redis.defineCommand(CLAIM_COMMAND, { numberOfKeys: 1, lua: CLAIM_SCRIPT });
    // No fixed key count: the number of keys is the first argument.
    redis.defineCommand(RENEW_COMMAND, { lua: RENEW_SCRIPT });
    // One key: on a Cluster, auto-pipelining routes a command by its first argument, the key.
    redis.defineCommand(RENEW_ONE_COMMAND, { numberOfKeys: 1, lua: RENEW_SCRIPT });
    this.cluster = isClusterConnection(redis);
    const commands = redis as unknown as Record<string, ScriptCommand>;
    this.claimScript = (commands[CLAIM_COMMAND] as ScriptCommand).bind(redis);
    this.renewScript = (commands[RENEW_COMMAND] as ScriptCommand).bind(redis);
    this.renewOneScript = (commands[RENEW_ONE_COMMAND] as ScriptCommand).bind(redis);
  }

  /** Adds the lease unless the user already holds `max` live ones. */
  async claim(lease: SocketLease, max: number, now: number, leaseMs: number): Promise<boolean> {
    const key = this.keys.userSockets(lease.agencyId, lease.userId);
    const result = await this.claimScript(key, now, lease.member, max, now + leaseMs, leaseMs * 2);
    return result === 1;
  }

  async release(lease: SocketLease): Promise<void> {
    await this.redis.zrem(this.keys.userSockets(lease.agencyId, lease.userId), lease.member);
  }

  /**
   * Extends live leases (a released one is not brought back), `chunk` leases per script call, one
   * call after the other, so neither this process nor Redis is held by one huge batch. One call
   * renews a whole chunk: two commands per lease from here cost the gateway memory that showed in
   * its RSS per idle socket (docs/benchmarks.md, WebSocket). On a Redis Cluster each lease is its
   * own call (its own slot), and the client's auto-pipelining groups them per node.
   */
  async renew(
    leases: readonly SocketLease[],
    now: number,
    leaseMs: number,
    chunk = 100,
  ): Promise<void> {
    const expiry = now + leaseMs;
    const keyTtlMs = leaseMs * 2;
    for (let start = 0; start < leases.length; start += chunk) {
      const part = leases.slice(start, start + chunk);
      const keys = part.map((lease) => this.keys.userSockets(lease.agencyId, lease.userId));
      if (this.cluster) {
        await Promise.all(
          part.map((lease, i) =>
            this.renewOneScript(keys[i] as string, expiry, keyTtlMs, lease.member),
          ),
        );
      } else {
        await this.renewScript(
          part.length,
          ...keys,
          expiry,
          keyTtlMs,
          ...part.map((lease) => lease.member),
        );
      }
    }
  }
}
