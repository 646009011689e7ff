import type { Envelope } from '@gad/contracts';
import type { Cluster, Redis } from 'ioredis';
import { busInstruments } from './bus.metrics';
import { Fields, StreamKeys } from './stream-keys';
import { isClusterConnection } from './redis-connection';
import { withTraceparent } from './trace-propagation';

export const DEFAULT_MAX_LEN = 100_000;

/** Entries per `publishBulk` script call: bounds how long one call holds Redis. */
export const BULK_CHUNK = 500;

const APPEND_MANY = 'gadStreamAppendMany';

/**
 * Appends ARGV[3..n] to the stream KEYS[1] in order, each as its own entry with field ARGV[2]
 * (`XADD MAXLEN ~ ARGV[1]`, as `publish`), and returns their ids: many entries for the price of
 * one command on both ends.
 */
const APPEND_MANY_SCRIPT = `local ids = {}
for i = 3, #ARGV do
  ids[#ids + 1] = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', ARGV[2], ARGV[i])
end
return ids`;

type AppendMany = (key: string, maxLen: number, field: string, ...json: string[]) => unknown;

export interface PublisherOptions {
  prefix?: string;
  /** Approximate stream cap (`XADD MAXLEN ~`). Default 100,000. */
  maxLen?: number;
  /**
   * Replicas that must have the entries before `publish` resolves (`WAIT n timeout` in the same
   * pipeline). Default 1 on a Redis Cluster, so an acknowledged event survives the primary's crash
   * and failover; 0 (no WAIT) on a standalone server.
   */
  replicaAcks?: number;
  /**
   * Longest `WAIT` blocks; past it `publish` resolves anyway. When fewer replicas answered (none
   * is attached, e.g. right after a failover), WAIT is skipped for `replicaRetryMs` (default 5 s):
   * there is nothing to wait for, and a blocked WAIT would stall every publish on the connection.
   * Default 200 ms.
   */
  replicaWaitMs?: number;
  replicaRetryMs?: number;
}

/** What a publish did: the entry ids in order, and whether the replicas asked for confirmed them. */
export interface PublishReceipt {
  ids: string[];
  /**
   * True when `replicaAcks` replicas confirmed the entries (always on a standalone server, which
   * asks for none). False when WAIT timed out or was skipped: the primary has the entries, and a
   * crash of that primary before it replicates them loses them.
   */
  replicated: boolean;
}

/**
 * Appends envelopes to streams. Many envelopes go in one pipelined round trip; each gets the
 * active `traceparent` unless it already has one. Resolves with the entry ids in order.
 */
export class StreamPublisher {
  readonly keys: StreamKeys;
  private readonly maxLen: number;
  private readonly replicaAcks: number;
  private readonly replicaWaitMs: number;
  private readonly replicaRetryMs: number;
  /** WAIT is skipped until then (no replica answered the last one). */
  private replicasMissingUntil = 0;

  constructor(
    private readonly redis: Redis,
    options: PublisherOptions = {},
  ) {
    this.keys = new StreamKeys(options.prefix, isClusterConnection(redis));
    this.maxLen = options.maxLen ?? DEFAULT_MAX_LEN;
    this.replicaAcks = options.replicaAcks ?? (this.keys.cluster ? 1 : 0);
    this.replicaWaitMs = options.replicaWaitMs ?? 200;
    this.replicaRetryMs = options.replicaRetryMs ?? 5_000;
    // EVALSHA with a fall-back to EVAL: the script body is not sent with every call.
    if (!(APPEND_MANY in redis)) {
      redis.defineCommand(APPEND_MANY, { numberOfKeys: 1, lua: APPEND_MANY_SCRIPT });
    }
  }

  async publish(stream: string, envelopes: Envelope | readonly Envelope[]): Promise<string[]> {
    return (await this.publishWithReceipt(stream, envelopes)).ids;
  }

  /** `publish`, also telling whether a replica confirmed the entries (see PublishReceipt). */
  async publishWithReceipt(
    stream: string,
    envelopes: Envelope | readonly Envelope[],
  ): Promise<PublishReceipt> {
    const list = Array.isArray(envelopes) ? envelopes : [envelopes as Envelope];
    return this.publishRawWithReceipt(
      list.map((envelope) => ({ stream, json: JSON.stringify(withTraceparent(envelope)) })),
    );
  }

  /**
   * `publish` for many envelopes to one stream (e.g. a coalesced flush of thousands of events):
   * the same entries, in order, but appended by a script taking up to BULK_CHUNK envelopes per
   * call instead of one XADD command each, so the client builds, times and parses a few commands
   * rather than thousands. Pipelined in one round trip, with the same replica WAIT as `publish`.
   */
  async publishBulk(stream: string, envelopes: readonly Envelope[]): Promise<PublishReceipt> {
    if (envelopes.length === 0) {
      return { ids: [], replicated: true };
    }
    const json = envelopes.map((envelope) => JSON.stringify(withTraceparent(envelope)));
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.appendManyOnce(stream, json);
      } catch (error) {
        // As in publishRawWithReceipt: a MOVED script call was not executed; send again.
        if (attempt >= 3 || !this.keys.cluster || !/^(MOVED|ASK) /.test((error as Error).message)) {
          throw error;
        }
        await refreshSlots(this.redis as unknown as Cluster);
      }
    }
  }

  private async appendManyOnce(stream: string, json: readonly string[]): Promise<PublishReceipt> {
    const key = this.keys.stream(stream);
    const pipeline = this.redis.pipeline();
    const append = (pipeline as unknown as Record<string, AppendMany>)[APPEND_MANY].bind(pipeline);
    for (let start = 0; start < json.length; start += BULK_CHUNK) {
      append(key, this.maxLen, Fields.Envelope, ...json.slice(start, start + BULK_CHUNK));
    }
    const wait = this.replicaAcks > 0 && Date.now() >= this.replicasMissingUntil;
    if (wait) {
      pipeline.wait(this.replicaAcks, this.replicaWaitMs);
    }
    const replies = await execPipeline(pipeline.exec());
    const chunks = (wait ? replies.slice(0, -1) : replies) as unknown[][];
    const confirmed = wait ? Number(replies[replies.length - 1]) : 0;
    if (wait && confirmed < this.replicaAcks) {
      this.replicasMissingUntil = Date.now() + this.replicaRetryMs;
    }
    const replicated = this.replicaAcks === 0 || confirmed >= this.replicaAcks;
    const { published, unreplicated } = busInstruments();
    published.add(json.length, { stream });
    if (!replicated) unreplicated.add(json.length, { stream });
    return { ids: chunks.flat().map(String), replicated };
  }

  /**
   * Appends already serialised envelopes, possibly to several streams, in one pipelined round
   * trip and in the given order (used by the outbox relay).
   */
  async publishRaw(items: ReadonlyArray<{ stream: string; json: string }>): Promise<string[]> {
    return (await this.publishRawWithReceipt(items)).ids;
  }

  async publishRawWithReceipt(
    items: ReadonlyArray<{ stream: string; json: string }>,
  ): Promise<PublishReceipt> {
    if (items.length === 0) {
      return { ids: [], replicated: true };
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.appendOnce(items);
      } catch (error) {
        // After a failover the pipeline may reach a node that no longer serves the slot. ioredis
        // follows MOVED for a pipeline only when every reply is MOVED, and WAIT (keyless) answers
        // anyway, so it never does here: refresh the slot map and send again. A MOVED command was
        // not executed, so this appends nothing twice.
        if (attempt >= 3 || !this.keys.cluster || !/^(MOVED|ASK) /.test((error as Error).message)) {
          throw error;
        }
        await refreshSlots(this.redis as unknown as Cluster);
      }
    }
  }

  private async appendOnce(
    items: ReadonlyArray<{ stream: string; json: string }>,
  ): Promise<PublishReceipt> {
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
    const wait = this.replicaAcks > 0 && Date.now() >= this.replicasMissingUntil;
    if (wait) {
      // Keyless: rides on the pipeline's connection, i.e. the primary that took the XADDs.
      pipeline.wait(this.replicaAcks, this.replicaWaitMs);
    }
    const replies = await execPipeline(pipeline.exec());
    const ids = wait ? replies.slice(0, -1) : replies;
    const confirmed = wait ? Number(replies[replies.length - 1]) : 0;
    if (wait && confirmed < this.replicaAcks) {
      this.replicasMissingUntil = Date.now() + this.replicaRetryMs;
    }
    const replicated = this.replicaAcks === 0 || confirmed >= this.replicaAcks;
    const { published, unreplicated } = busInstruments();
    for (const [stream, count] of counts) {
      published.add(count, { stream });
      if (!replicated) unreplicated.add(count, { stream });
    }
    return { ids: ids.map(String), replicated };
  }
}

function refreshSlots(cluster: Cluster): Promise<void> {
  return new Promise((resolve) => cluster.refreshSlotsCache(() => resolve()));
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
