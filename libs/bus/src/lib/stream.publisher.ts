import type { Envelope } from '@gad/contracts';
import type { Redis } from 'ioredis';
import { busInstruments } from './bus.metrics';
import { Fields, StreamKeys } from './stream-keys';
import { withTraceparent } from './trace-propagation';

export const DEFAULT_MAX_LEN = 100_000;

export interface PublisherOptions {
  prefix?: string;
  /** Approximate stream cap (`XADD MAXLEN ~`). Default 100,000. */
  maxLen?: number;
}

/**
 * Appends envelopes to streams. Many envelopes go in one pipelined round trip; each gets the
 * active `traceparent` unless it already has one. Resolves with the entry ids in order.
 */
export class StreamPublisher {
  readonly keys: StreamKeys;
  private readonly maxLen: number;

  constructor(
    private readonly redis: Redis,
    options: PublisherOptions = {},
  ) {
    this.keys = new StreamKeys(options.prefix);
    this.maxLen = options.maxLen ?? DEFAULT_MAX_LEN;
  }

  async publish(stream: string, envelopes: Envelope | readonly Envelope[]): Promise<string[]> {
    const list = Array.isArray(envelopes) ? envelopes : [envelopes as Envelope];
    return this.publishRaw(
      list.map((envelope) => ({ stream, json: JSON.stringify(withTraceparent(envelope)) })),
    );
  }

  /**
   * Appends already serialised envelopes, possibly to several streams, in one pipelined round
   * trip and in the given order (used by the outbox relay).
   */
  async publishRaw(items: ReadonlyArray<{ stream: string; json: string }>): Promise<string[]> {
    if (items.length === 0) {
      return [];
    }
    const pipeline = this.redis.pipeline();
    const counts = new Map<string, number>();
    for (const { stream, json } of items) {
      pipeline.xadd(
        this.keys.stream(stream),
        'MAXLEN',
        '~',
        this.maxLen,
        '*',
        Fields.Envelope,
        json,
      );
      counts.set(stream, (counts.get(stream) ?? 0) + 1);
    }
    const ids = await execPipeline(pipeline.exec());
    const { published } = busInstruments();
    for (const [stream, count] of counts) {
      published.add(count, { stream });
    }
    return ids.map(String);
  }
}

/** Runs a pipeline and throws the first command error (a pipeline resolves even when commands fail). */
export async function execPipeline(
  result: Promise<Array<[Error | null, unknown]> | null>,
): Promise<unknown[]> {
  const replies = await result;
  if (!replies) {
    throw new Error('pipeline was discarded');
  }
  return replies.map(([error, value]) => {
    if (error) {
      throw error;
    }
    return value;
  });
}
