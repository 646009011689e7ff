import type { Redis } from 'ioredis';
import { StreamKeys } from './stream-keys';
import { isClusterConnection } from './redis-connection';

export interface IdempotencyGuardOptions {
  prefix?: string;
  /** How long a handled id is remembered. Default 7 days (longer than any redelivery window). */
  ttlSeconds?: number;
}

/**
 * Remembers which envelope ids a consumer group has handled (`SET NX EX`, keyed by group + id), so
 * a redelivered envelope can be skipped.
 */
export class IdempotencyGuard {
  private readonly keys: StreamKeys;
  private readonly ttlSeconds: number;

  constructor(
    private readonly redis: Redis,
    options: IdempotencyGuardOptions = {},
  ) {
    this.keys = new StreamKeys(options.prefix, isClusterConnection(redis));
    this.ttlSeconds = options.ttlSeconds ?? 7 * 24 * 3600;
  }

  /** True the first time for (group, id); false when it was already claimed. */
  async claim(group: string, envelopeId: string): Promise<boolean> {
    const result = await this.redis.set(
      this.keys.idempotency(group, envelopeId),
      String(Date.now()),
      'EX',
      this.ttlSeconds,
      'NX',
    );
    return result === 'OK';
  }

  /** Forgets a claim (call when the handler failed, so the retry runs). */
  async release(group: string, envelopeId: string): Promise<void> {
    await this.redis.del(this.keys.idempotency(group, envelopeId));
  }

  /**
   * Runs `fn` unless (group, id) was handled already; releases the claim when `fn` throws.
   * Returns whether `fn` ran.
   */
  async runOnce(
    group: string,
    envelopeId: string,
    fn: () => Promise<unknown> | unknown,
  ): Promise<boolean> {
    if (!(await this.claim(group, envelopeId))) {
      return false;
    }
    try {
      await fn();
      return true;
    } catch (error) {
      await this.release(group, envelopeId).catch(() => undefined);
      throw error;
    }
  }
}
