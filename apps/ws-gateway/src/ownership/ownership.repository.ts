import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '@gad/platform';
import type { Redis } from 'ioredis';
import { WsRedisKeys } from '../realtime/redis-keys';

export const OWNERSHIP_KEYS = Symbol('OWNERSHIP_KEYS');
/** Ownership is remembered for 30 days after the last event that mentioned the object. */
const OWNER_TTL_S = 30 * 86_400;

/** Which agency an incident or zone belongs to, learnt from the domain events the gateway consumes. */
@Injectable()
export class OwnershipRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(OWNERSHIP_KEYS) private readonly keys: WsRedisKeys,
  ) {}

  async remember(kind: 'incident' | 'zone', id: string, agencyId: string): Promise<void> {
    await this.redis.set(this.keys.owner(kind, id), agencyId, 'EX', OWNER_TTL_S);
  }

  async ownerOf(kind: 'incident' | 'zone', id: string): Promise<string | null> {
    return this.redis.get(this.keys.owner(kind, id));
  }
}
