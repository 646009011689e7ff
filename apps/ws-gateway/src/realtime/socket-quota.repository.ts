import { Inject, Injectable } from '@nestjs/common';
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

const CLAIM_COMMAND = 'gadWsClaimSocketLease';
type ClaimCommand = (...args: (string | number)[]) => Promise<unknown>;

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
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(SOCKET_QUOTA_KEYS) private readonly keys: WsRedisKeys,
  ) {
    // EVALSHA with a fall-back to EVAL: a handshake does not send (and allocate) the script body.
    redis.defineCommand(CLAIM_COMMAND, { numberOfKeys: 1, lua: CLAIM_SCRIPT });
  }

  /** Adds the lease unless the user already holds `max` live ones. */
  async claim(lease: SocketLease, max: number, now: number, leaseMs: number): Promise<boolean> {
    const key = this.keys.userSockets(lease.agencyId, lease.userId);
    const claim = (this.redis as unknown as Record<string, ClaimCommand>)[CLAIM_COMMAND];
    const result = await claim.call(
      this.redis,
      key,
      now,
      lease.member,
      max,
      now + leaseMs,
      leaseMs * 2,
    );
    return result === 1;
  }

  async release(lease: SocketLease): Promise<void> {
    await this.redis.zrem(this.keys.userSockets(lease.agencyId, lease.userId), lease.member);
  }

  /**
   * Extends live leases (a released one is not brought back), `chunk` leases at a time: each chunk's
   * commands leave together through the client's auto-pipelining (on a Redis Cluster, grouped by
   * node), and the next chunk waits for the replies, so neither this process nor Redis is held by
   * one huge batch.
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
      const pending: Array<Promise<unknown>> = [];
      for (let i = start; i < Math.min(start + chunk, leases.length); i += 1) {
        const lease = leases[i] as SocketLease;
        const key = this.keys.userSockets(lease.agencyId, lease.userId);
        pending.push(this.redis.zadd(key, 'XX', expiry, lease.member));
        pending.push(this.redis.pexpire(key, keyTtlMs));
      }
      await Promise.all(pending);
    }
  }
}
