import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createLogger } from '@gad/observability';
import { REDIS_CLIENT } from '@gad/platform';
import type { Redis } from 'ioredis';

/** How long a finished request's response is replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** How long a started request holds its key (a crashed instance frees it after this). */
export const IDEMPOTENCY_LOCK_MS = 60 * 1000;
/** Pause between attempts to write a release or a response that Redis did not take. */
const FOLLOW_UP_RETRY_MS = 250;

interface Running {
  state: 'running';
  fingerprint: string;
  /** The claiming request's own random id: only it may free the claim. */
  owner: string;
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

/** Deletes a running claim only when it is still the given owner's. */
const RELEASE_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, record = pcall(cjson.decode, raw)
if ok and record.state == 'running' and record.owner == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * `Idempotency-Key` records in Redis: `SET NX` claims a key for a running request (with the
 * request's owner id); its response replaces the claim for 24 h. The key is per agency, user and
 * client key; the fingerprint hashes the operation, its path parameters and its body.
 *
 * A request that fails frees its claim, whatever failed, Redis included: a claim whose command
 * timed out may still land once Redis answers again, and a release Redis did not take is retried
 * (owner-checked, so it never frees someone else's claim) until it succeeds or the claim expires;
 * a retry of the same key on this instance first waits for that release. Likewise a response
 * Redis did not store is written again, so a succeeded request never leaves a stale claim behind.
 */
@Injectable()
export class IdempotencyStore implements OnModuleDestroy {
  private readonly logger = createLogger('idempotency');
  /** Follow-up writes still to do, by key (the newest wins). */
  private readonly followUps = new Map<string, () => Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

  async begin(key: string, fingerprint: string, owner: string): Promise<IdempotencyBegin> {
    await this.settleFollowUp(key);
    const running: Running = { state: 'running', fingerprint, owner };
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

  /** Stores the response; when Redis does not take it now, it is written again in the background. */
  async complete(key: string, fingerprint: string, status: number, body: unknown): Promise<void> {
    const done: Done = { state: 'done', fingerprint, status, body: body ?? null };
    const write = async (): Promise<void> => {
      await this.redis.set(key, JSON.stringify(done), 'PX', IDEMPOTENCY_TTL_MS);
    };
    await this.now(key, write);
  }

  /**
   * The request failed (or its claim could not be confirmed): free the key so the client may retry
   * with it. Never throws; a release Redis does not take now is retried in the background.
   */
  async abandon(key: string, owner: string): Promise<void> {
    const release = async (): Promise<void> => {
      await this.redis.eval(RELEASE_SCRIPT, 1, key, owner);
    };
    await this.now(key, release).catch(() => undefined);
  }

  onModuleDestroy(): void {
    for (const timer of this.timers) {
      clearTimeout(timer);
    }
    this.timers.clear();
    this.followUps.clear();
  }

  /** Runs a write now; when it fails, keeps retrying it until the claim would have expired. */
  private async now(key: string, write: () => Promise<void>): Promise<void> {
    this.followUps.delete(key);
    try {
      await write();
    } catch (error) {
      this.followUps.set(key, write);
      this.retryLater(key, write, Date.now() + IDEMPOTENCY_LOCK_MS);
      throw error;
    }
  }

  private retryLater(key: string, write: () => Promise<void>, until: number): void {
    if (Date.now() >= until) {
      this.followUps.delete(key);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.followUps.get(key) !== write) {
        return;
      }
      write().then(
        () => {
          if (this.followUps.get(key) === write) {
            this.followUps.delete(key);
          }
        },
        (error: unknown) => {
          this.logger.debug({ err: error }, 'idempotency follow-up write retried');
          this.retryLater(key, write, until);
        },
      );
    }, FOLLOW_UP_RETRY_MS);
    timer.unref();
    this.timers.add(timer);
  }

  /** A retry on this instance first finishes what the previous attempt left undone. */
  private async settleFollowUp(key: string): Promise<void> {
    const write = this.followUps.get(key);
    if (!write) {
      return;
    }
    await write();
    if (this.followUps.get(key) === write) {
      this.followUps.delete(key);
    }
  }
}
