import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '@gad/platform';
import type { Redis } from 'ioredis';

/** How long a finished request's response is replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** How long a started request holds its key (a crashed instance frees it after this). */
export const IDEMPOTENCY_LOCK_MS = 60 * 1000;

interface Running {
  state: 'running';
  fingerprint: string;
}
interface Done {
  state: 'done';
  fingerprint: string;
  status: number;
  body: unknown;
}

export type IdempotencyBegin =
  | { kind: 'started' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' };

/**
 * `Idempotency-Key` records in Redis: `SET NX` claims a key for a running request; its response
 * replaces the claim for 24 h. The key is per agency, user and client key; the fingerprint hashes
 * the operation, its path parameters and its body.
 */
@Injectable()
export class IdempotencyStore {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

  async begin(key: string, fingerprint: string): Promise<IdempotencyBegin> {
    const running: Running = { state: 'running', fingerprint };
    const claimed = await this.redis.set(
      key,
      JSON.stringify(running),
      'PX',
      IDEMPOTENCY_LOCK_MS,
      'NX',
    );
    if (claimed === 'OK') {
      return { kind: 'started' };
    }
    const raw = await this.redis.get(key);
    if (raw === null) {
      // Expired between the two commands: the other request has just been abandoned.
      return { kind: 'in_progress' };
    }
    const record = JSON.parse(raw) as Running | Done;
    if (record.fingerprint !== fingerprint) {
      return { kind: 'mismatch' };
    }
    return record.state === 'done'
      ? { kind: 'replay', status: record.status, body: record.body }
      : { kind: 'in_progress' };
  }

  async complete(key: string, fingerprint: string, status: number, body: unknown): Promise<void> {
    const done: Done = { state: 'done', fingerprint, status, body: body ?? null };
    await this.redis.set(key, JSON.stringify(done), 'PX', IDEMPOTENCY_TTL_MS);
  }

  /** The request failed: free the key so the client may retry with it. */
  async abandon(key: string): Promise<void> {
    await this.redis.del(key);
  }
}
