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
  ) {}

  /** Adds the lease unless the user already holds `max` live ones. */
  async claim(lease: SocketLease, max: number, now: number, leaseMs: number): Promise<boolean> {
    const key = this.keys.userSockets(lease.agencyId, lease.userId);
    const result = await this.redis.eval(
      CLAIM_SCRIPT,
      1,
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

  /** Extends live leases in one pipeline. */
  async renew(leases: readonly SocketLease[], now: number, leaseMs: number): Promise<void> {
    if (leases.length === 0) {
      return;
    }
    const pipeline = this.redis.pipeline();
    for (const lease of leases) {
      const key = this.keys.userSockets(lease.agencyId, lease.userId);
      pipeline.zadd(key, 'XX', now + leaseMs, lease.member);
      pipeline.pexpire(key, leaseMs * 2);
    }
    await pipeline.exec();
  }
}
