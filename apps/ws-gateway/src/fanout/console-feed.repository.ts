import { Inject, Injectable } from '@nestjs/common';
import type { Envelope, FeedEntry } from '@gad/contracts';
import { REDIS_CLIENT } from '@gad/platform';
import type { Redis } from 'ioredis';
import { WS_GATEWAY_CONFIG, type WsGatewayConfig } from '../ws-gateway.config';

/** What the feed holds after an id: the entries, and whether some after it were trimmed away. */
export interface FeedRange {
  entries: FeedEntry[];
  /** Id of the newest entry ever added (`0-0` for a feed that does not exist). */
  lastId: string;
  /** Id of the oldest entry still held (`0-0` when none). */
  firstId: string;
  /** Some entries were trimmed away (older than `firstId`). */
  trimmed: boolean;
  /** False when the feed's key does not exist (never written, or expired). */
  exists: boolean;
}

interface StreamState {
  lastId: string;
  firstId: string;
  trimmed: boolean;
}

/**
 * The console feed of each agency in Redis: a capped stream `gad:ws:feed:{<agency>}` of every
 * event emitted to the agency's consoles (field `envelope`), trimmed to about `WS_FEED_MAX_LEN`
 * entries and expiring `WS_FEED_TTL_S` after the last one. The stream ids are the feed ids a
 * console catches up from. Also the command references acks are enriched with.
 */
@Injectable()
export class ConsoleFeedRepository {
  private readonly prefix: string;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(WS_GATEWAY_CONFIG) private readonly config: WsGatewayConfig,
  ) {
    this.prefix = config.REDIS_KEY_PREFIX;
  }

  feedKey(agencyId: string): string {
    return `${this.prefix}gad:ws:feed:{${agencyId}}`;
  }

  /** Appends an event to its agency's feed; answers its feed id. */
  async append(envelope: Envelope): Promise<string> {
    const key = this.feedKey(envelope.agencyId);
    const results = await this.redis
      .multi()
      .xadd(
        key,
        'MAXLEN',
        '~',
        this.config.WS_FEED_MAX_LEN,
        '*',
        'envelope',
        JSON.stringify(envelope),
      )
      .expire(key, this.config.WS_FEED_TTL_S)
      .exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) {
      throw failed?.[0] ?? new Error('feed append failed');
    }
    return results[0][1] as string;
  }

  /**
   * Appends several events of one agency to its feed in one round trip, in the given order;
   * answers their feed ids (same order).
   */
  async appendMany(agencyId: string, envelopes: readonly Envelope[]): Promise<string[]> {
    const key = this.feedKey(agencyId);
    const multi = this.redis.multi();
    for (const envelope of envelopes) {
      multi.xadd(
        key,
        'MAXLEN',
        '~',
        this.config.WS_FEED_MAX_LEN,
        '*',
        'envelope',
        JSON.stringify(envelope),
      );
    }
    const results = await multi.expire(key, this.config.WS_FEED_TTL_S).exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) {
      throw failed?.[0] ?? new Error('feed append failed');
    }
    return results.slice(0, envelopes.length).map(([, id]) => id as string);
  }

  /** Entries after `afterId` (exclusive, oldest first, at most `limit`) and the trim watermark. */
  async after(agencyId: string, afterId: string, limit: number): Promise<FeedRange> {
    const key = this.feedKey(agencyId);
    // The range first, then the stream's state: a trim between the two can only make the answer
    // more cautious (a resync that was not needed), never hide a gap.
    const rows = await this.redis.xrange(key, `(${afterId}`, '+', 'COUNT', limit);
    const info = await this.info(key);
    return {
      entries: rows.map(([feedId, fields]) => ({
        feedId,
        event: JSON.parse(fields[fields.indexOf('envelope') + 1] ?? '{}') as Envelope,
      })),
      lastId: info?.lastId ?? '0-0',
      firstId: info?.firstId ?? '0-0',
      trimmed: info?.trimmed ?? false,
      exists: info !== undefined,
    };
  }

  /** The newest id of an agency's feed (`0-0` when it has none). */
  async newestId(agencyId: string): Promise<string> {
    return (await this.info(this.feedKey(agencyId)))?.lastId ?? '0-0';
  }

  private async info(key: string): Promise<StreamState | undefined> {
    let reply: unknown[];
    try {
      reply = (await this.redis.call('XINFO', 'STREAM', key)) as unknown[];
    } catch (error) {
      if (error instanceof Error && /no such key/i.test(error.message)) {
        return undefined;
      }
      throw error;
    }
    const field = (name: string): string | undefined => {
      const index = reply.indexOf(name);
      return index >= 0 ? String(reply[index + 1]) : undefined;
    };
    // Trimming by MAXLEN does not move `max-deleted-entry-id`: compare what was added and held.
    return {
      lastId: field('last-generated-id') ?? '0-0',
      firstId: field('recorded-first-entry-id') ?? '0-0',
      trimmed: Number(field('entries-added') ?? 0) > Number(field('length') ?? 0),
    };
  }
}

/** Orders two feed (stream) ids: negative when `a` is older. */
export function compareFeedIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  if (am !== bm) {
    return am < bm ? -1 : 1;
  }
  return as === bs ? 0 : as < bs ? -1 : 1;
}
