import { envelopeSchema, type Envelope } from '@gad/contracts';
import { contextFromTraceparent } from '@gad/observability';
import { SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { busInstruments, forgetGroupStats, recordDlqLength, recordGroupLag } from './bus.metrics';
import {
  closeRedis,
  DEFAULT_COMMAND_TIMEOUT_MS,
  defaultLogger,
  errorMessage,
  NO_LATE_COMMANDS,
  openRedis,
  sleep,
  waitReady,
  type BusLogger,
  type RedisConnection,
  isClusterConnection,
} from './redis-connection';
import { execPipeline } from './stream.publisher';
import {
  Fields,
  parseEntries,
  parseStreamsReply,
  StreamKeys,
  type StreamEntry,
} from './stream-keys';

/** One delivery of a stream entry to this consumer. */
export interface Delivery {
  /** Stream name without the prefix. */
  stream: string;
  /** Redis key of the stream. */
  key: string;
  /** Entry id. */
  id: string;
  group: string;
  consumer: string;
  /** 1 on the first delivery; grows each time the entry is reclaimed. */
  deliveries: number;
  /** All fields of the entry (RPC requests carry `replyTo` and `deadline`). */
  fields: Readonly<Record<string, string>>;
}

/** Resolve to acknowledge; throw to have the entry retried (and dead-lettered after N deliveries). */
export type EnvelopeHandler = (envelope: Envelope, delivery: Delivery) => unknown;

export interface ConsumerTuning {
  /** Entries per XREADGROUP / XAUTOCLAIM. Default 100. */
  batchSize?: number;
  /** XREADGROUP BLOCK time. Default 1,000 ms; must be below the blocking connection's timeout. */
  blockMs?: number;
  /** Pending entries idle this long are reclaimed by any live consumer. Default 30,000 ms. */
  reclaimIdleMs?: number;
  /** How often each consumer runs XAUTOCLAIM. Default 5,000 ms. */
  reclaimIntervalMs?: number;
  /** Deliveries before an entry goes to `<stream>:dlq`. Default 5. */
  maxDeliveries?: number;
  /** Time `stop()` waits for in-flight handlers. Default 10,000 ms. */
  shutdownTimeoutMs?: number;
  /** Timeout of non-blocking Redis calls. Default 5,000 ms. */
  commandTimeoutMs?: number;
  /** Where a newly created group starts (`$` = new entries only). A group recreated after Redis lost it starts at `0`. */
  groupStartId?: string;
  /** Approximate cap of the DLQ streams. Default 100,000. */
  dlqMaxLen?: number;
  /** How often DLQ length and group lag are sampled for the gauges. Default 15,000 ms. */
  statsIntervalMs?: number;
  /**
   * Entries of a stream handled at the same time. Default 1 (entries of a stream are handled in
   * order); RPC request streams use more. Entries start in stream order; the next read is made as
   * soon as every entry read so far has started, not when the batch has ended. The streams of
   * one read are handled side by side, each with this concurrency.
   */
  concurrency?: number;
}

export interface StreamConsumerOptions extends ConsumerTuning {
  redis: RedisConnection;
  prefix?: string;
  /** Consumer group (one per consuming service). */
  group: string;
  /** Consumer name, unique per instance (pod name, host:pid). */
  consumer: string;
  /** Stream names without the prefix. */
  streams: readonly string[];
  handler: EnvelopeHandler;
  logger?: BusLogger;
}

type Outcome = 'ack' | 'retry' | 'done';

interface Lane {
  stream: string;
  key: string;
  /** Read, waiting for a free handler slot (in stream order). */
  queue: StreamEntry[];
  running: number;
  toAck: string[];
  ackScheduled: boolean;
}

/** KEYS[1] stream, ARGV[1] group, ARGV[2] consumer: deletes the consumer only when it holds nothing. */
const DELETE_CONSUMER_WITHOUT_PENDING = `
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return 0 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) and 1
`;

const TRACER_NAME = '@gad/bus';

/** Block time of reads that leave out a stream whose entries wait for a handler slot. */
const QUEUED_LANE_BLOCK_MS = 10;

/**
 * A member of a consumer group reading one or more streams: blocking reads in batches, the handler
 * runs inside a CONSUMER span whose parent is the envelope's `traceparent`, entries are acknowledged
 * after the handler resolved, idle pending entries are reclaimed with XAUTOCLAIM, entries that keep
 * failing (and invalid envelopes, at once) go to `<stream>:dlq`.
 */
export class StreamConsumer {
  private readonly keys: StreamKeys;
  private readonly streams: Array<{ stream: string; key: string }>;
  private readonly logger: BusLogger;
  private readonly batchSize: number;
  private readonly blockMs: number;
  private readonly reclaimIdleMs: number;
  private readonly reclaimIntervalMs: number;
  private readonly maxDeliveries: number;
  private readonly shutdownTimeoutMs: number;
  private readonly groupStartId: string;
  private readonly dlqMaxLen: number;
  private readonly statsIntervalMs: number;
  private readonly concurrency: number;
  private redis?: Redis;
  private blocking?: Redis;
  private tracer?: Tracer;
  private running = false;
  private readonly abort = new AbortController();
  private loopDone: Promise<void> = Promise.resolve();
  private stopping?: Promise<void>;
  private nextReclaimAt = 0;
  private nextStatsAt = 0;
  private outage = false;
  /** Per stream: entries read and not started yet, handlers running, ids waiting for XACK. */
  private readonly lanes = new Map<string, Lane>();
  /** Handlers and XACKs of read entries still under way (awaited by `stop()`). */
  private readonly inFlight = new Set<Promise<void>>();
  /** Resolved when a handler of a read entry finishes (the loop waits on it while entries queue). */
  private progress?: { promise: Promise<void>; resolve: () => void };

  constructor(private readonly options: StreamConsumerOptions) {
    this.keys = new StreamKeys(options.prefix, isClusterConnection(options.redis));
    this.streams = options.streams.map((stream) => ({ stream, key: this.keys.stream(stream) }));
    this.logger = options.logger ?? defaultLogger(`StreamConsumer:${options.group}`);
    this.batchSize = options.batchSize ?? 100;
    this.blockMs = options.blockMs ?? 1_000;
    this.reclaimIdleMs = options.reclaimIdleMs ?? 30_000;
    this.reclaimIntervalMs = options.reclaimIntervalMs ?? 5_000;
    this.maxDeliveries = options.maxDeliveries ?? 5;
    this.shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
    this.groupStartId = options.groupStartId ?? '$';
    this.dlqMaxLen = options.dlqMaxLen ?? 100_000;
    this.statsIntervalMs = options.statsIntervalMs ?? 15_000;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    if (this.streams.length === 0) {
      throw new Error('StreamConsumer needs at least one stream');
    }
    for (const { stream, key } of this.streams) {
      this.lanes.set(key, { stream, key, queue: [], running: 0, toAck: [], ackScheduled: false });
    }
  }

  get group(): string {
    return this.options.group;
  }

  /** Creates the groups (MKSTREAM, BUSYGROUP tolerated) and starts reading. */
  async start(): Promise<void> {
    if (this.running) {
      return;
    }
    const commandTimeoutMs = this.options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const name = `${this.options.group}:${this.options.consumer}`;
    this.redis = openRedis(this.options.redis, {
      commandTimeoutMs,
      connectionName: `bus:${name}`,
      logger: this.logger,
    });
    // Blocking reads get their own connection whose timeout exceeds the block time.
    this.blocking = openRedis(this.options.redis, {
      commandTimeoutMs: this.blockMs + commandTimeoutMs,
      connectionName: `bus:${name}:read`,
      logger: this.logger,
      extra: NO_LATE_COMMANDS,
    });
    this.tracer = trace.getTracer(TRACER_NAME);
    try {
      await this.ensureGroups(this.groupStartId);
      await waitReady(this.blocking, commandTimeoutMs);
    } catch (error) {
      await Promise.all([closeRedis(this.redis), closeRedis(this.blocking)]);
      throw error;
    }
    this.running = true;
    this.nextReclaimAt = Date.now() + Math.min(this.reclaimIntervalMs, this.reclaimIdleMs);
    this.nextStatsAt = Date.now();
    this.loopDone = this.loop();
  }

  /**
   * Graceful stop: no new reads, in-flight handlers finish and are acknowledged (up to
   * `shutdownTimeoutMs`), then the connections close. Entries of handlers that did not finish stay
   * pending and are reclaimed by another consumer.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (!this.redis || !this.blocking) {
      return;
    }
    this.running = false;
    this.abort.abort();
    // Interrupts a blocking read; entries it may have fetched stay pending and get reclaimed.
    this.blocking.disconnect();
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.loopDone.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), this.shutdownTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!finished) {
      this.logger.warn(
        `handlers still running after ${this.shutdownTimeoutMs} ms; their entries stay pending for reclaim`,
      );
      this.redis.disconnect();
    } else {
      await closeRedis(this.redis);
    }
    for (const { stream } of this.streams) {
      forgetGroupStats(stream, this.options.group);
    }
  }

  private async ensureGroups(startId: string): Promise<void> {
    const redis = this.redis as Redis;
    for (const { key } of this.streams) {
      try {
        await redis.xgroup('CREATE', key, this.options.group, startId, 'MKSTREAM');
      } catch (error) {
        if (!errorMessage(error).startsWith('BUSYGROUP')) {
          throw error;
        }
      }
    }
  }

  private async loop(): Promise<void> {
    let backoffMs = 100;
    while (this.running) {
      try {
        const now = Date.now();
        if (now >= this.nextReclaimAt) {
          this.nextReclaimAt = now + this.reclaimIntervalMs;
          await this.reclaim();
        }
        if (now >= this.nextStatsAt) {
          this.nextStatsAt = now + this.statsIntervalMs;
          await this.sampleStats();
        }
        if (!this.running) {
          break;
        }
        // A stream is read again as soon as every entry read from it has started (not when its
        // batch has ended): an entry that arrives while a slow handler runs is not held back by
        // it. A stream whose entries still wait for a free handler slot is left out of the read,
        // and the others are read with a short block, so it joins the reads soon after its queue
        // has drained while the others (the acks beside a backlog of assignments) keep flowing.
        const open = [...this.lanes.values()].filter((lane) => lane.queue.length === 0);
        if (open.length === 0) {
          await this.nextProgress();
          continue;
        }
        const reply = await (this.blocking as Redis).call(
          'XREADGROUP',
          'GROUP',
          this.options.group,
          this.options.consumer,
          'COUNT',
          this.batchSize,
          'BLOCK',
          open.length < this.lanes.size
            ? Math.min(this.blockMs, QUEUED_LANE_BLOCK_MS)
            : this.blockMs,
          'STREAMS',
          ...open.map(({ key }) => key),
          ...open.map(() => '>'),
        );
        // The streams of one read side by side: one stream's slow entries (a transaction per
        // `assignment.created`) do not hold another's (the acks). Each stream's entries start in
        // stream order, at most `concurrency` at a time; `orderKey`s are serialised by the
        // transport in that start order.
        for (const [key, entries] of parseStreamsReply(reply)) {
          const lane = this.lanes.get(key);
          if (lane) {
            lane.queue.push(...entries);
            this.pump(lane);
          }
        }
        if (this.outage) {
          this.outage = false;
          this.logger.log('stream reads recovered');
        }
        backoffMs = 100;
      } catch (error) {
        if (!this.running) {
          break;
        }
        const message = errorMessage(error);
        if (message.startsWith('NOGROUP')) {
          // Redis restarted without persistence (or someone deleted the stream): recreate from 0.
          this.logger.warn(`consumer group ${this.options.group} lost; recreating it`);
          try {
            await this.ensureGroups('0');
            continue;
          } catch (createError) {
            this.logger.warn(`recreating group failed: ${errorMessage(createError)}`);
          }
        } else if (!this.outage) {
          this.outage = true;
          this.logger.warn(`stream reads failing, retrying with backoff: ${message}`);
        }
        await sleep(backoffMs * (0.5 + Math.random()), this.abort.signal);
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
    // Entries already read are handled and acknowledged before the loop counts as done.
    while (this.inFlight.size > 0) {
      await Promise.all([...this.inFlight]);
    }
  }

  /** Starts the lane's queued entries, in order, while it has free handler slots. */
  private pump(lane: Lane): void {
    while (lane.running < this.concurrency && lane.queue.length > 0) {
      const [id, fields] = lane.queue.shift() as StreamEntry;
      lane.running += 1;
      const done: Promise<void> = this.processOne(lane.key, lane.stream, id, fields, 1)
        .then(
          (outcome) => {
            if (outcome === 'ack') {
              this.acknowledge(lane, id);
            }
          },
          (error: unknown) => {
            // Left pending (e.g. the DLQ write failed): reclaimed later like a crashed handler.
            this.logger.warn(`handling ${lane.stream} ${id} failed: ${errorMessage(error)}`);
          },
        )
        .finally(() => {
          lane.running -= 1;
          this.inFlight.delete(done);
          this.pump(lane);
          const progress = this.progress;
          this.progress = undefined;
          progress?.resolve();
        });
      this.inFlight.add(done);
    }
  }

  /** XACKs the entries of a lane that finished in the same event-loop turn in one call. */
  private acknowledge(lane: Lane, id: string): void {
    lane.toAck.push(id);
    if (lane.ackScheduled) {
      return;
    }
    lane.ackScheduled = true;
    const flushed: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => {
        lane.ackScheduled = false;
        const ids = lane.toAck.splice(0);
        await (this.redis as Redis).xack(lane.key, this.options.group, ...ids);
        busInstruments().consumed.add(ids.length, {
          stream: lane.stream,
          group: this.options.group,
        });
      })
      .catch((error: unknown) => {
        // Still pending: reclaimed and handled again (handlers are idempotent by id).
        this.logger.warn(`XACK on ${lane.stream} failed: ${errorMessage(error)}`);
      })
      .finally(() => this.inFlight.delete(flushed));
    this.inFlight.add(flushed);
  }

  /** Resolves when the next handler of a read entry finishes. */
  private nextProgress(): Promise<void> {
    if (!this.progress) {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.progress = { promise, resolve };
    }
    return this.progress.promise;
  }

  /** XAUTOCLAIM idle pending entries of any consumer in the group and handle them here. */
  private async reclaim(): Promise<void> {
    const redis = this.redis as Redis;
    for (const { key, stream } of this.streams) {
      let cursor = '0-0';
      for (let round = 0; round < 10 && this.running; round += 1) {
        const reply = (await redis.xautoclaim(
          key,
          this.options.group,
          this.options.consumer,
          this.reclaimIdleMs,
          cursor,
          'COUNT',
          this.batchSize,
        )) as unknown[];
        cursor = String(reply[0]);
        const entries = parseEntries(reply[1]);
        if (entries.length > 0) {
          const counts = await this.deliveryCounts(key, entries);
          await this.processBatch(key, stream, entries, (id) => counts.get(id) ?? 2);
        }
        if (cursor === '0-0') {
          break;
        }
      }
    }
  }

  /**
   * Takes over from consumers of the group that `isDead` names (replicas known to be dead, e.g. from
   * a heartbeat registry): their pending entries are claimed (those idle at least `minIdleMs`, so
   * two survivors do not both take one) and handled here at once, instead of after
   * `reclaimIdleMs`; a dead consumer with nothing pending left is deleted from the group
   * (XGROUP DELCONSUMER, atomically checked: an entry still pending is never dropped).
   * `isDead` gets each other consumer's name and XINFO idle time (ms).
   */
  async takeOverDeadConsumers(
    isDead: (consumer: string, idleMs: number) => boolean,
    minIdleMs = 500,
  ): Promise<{ claimed: number; deleted: string[] }> {
    const redis = this.redis as Redis;
    let claimed = 0;
    const deleted: string[] = [];
    for (const { key, stream } of this.streams) {
      const consumers = (await redis.xinfo('CONSUMERS', key, this.options.group)) as unknown[][];
      for (const flat of consumers) {
        const info = new Map<string, unknown>();
        for (let i = 0; i + 1 < flat.length; i += 2) {
          info.set(String(flat[i]), flat[i + 1]);
        }
        const name = String(info.get('name'));
        if (name === this.options.consumer || !isDead(name, Number(info.get('idle') ?? 0))) {
          continue;
        }
        for (let round = 0; round < 100 && this.running; round += 1) {
          const pending = (await redis.xpending(
            key,
            this.options.group,
            '-',
            '+',
            this.batchSize,
            name,
          )) as Array<[string, string, number, number]>;
          if (pending.length === 0) {
            break;
          }
          const reply = await redis.xclaim(
            key,
            this.options.group,
            this.options.consumer,
            minIdleMs,
            ...pending.map(([id]) => String(id)),
          );
          const entries = parseEntries(reply);
          if (entries.length > 0) {
            claimed += entries.length;
            const counts = await this.deliveryCounts(key, entries);
            await this.processBatch(key, stream, entries, (id) => counts.get(id) ?? 2);
          } else if (reply.length === 0) {
            // Too fresh, or claimed by another survivor meanwhile: the next call retries.
            break;
          }
        }
        const removed = await redis.eval(
          DELETE_CONSUMER_WITHOUT_PENDING,
          1,
          key,
          this.options.group,
          name,
        );
        if (Number(removed) === 1) {
          deleted.push(name);
        }
      }
    }
    if (claimed > 0 || deleted.length > 0) {
      this.logger.log(
        `took over ${claimed} pending entries from dead consumers; deleted ${deleted.length} consumers`,
      );
    }
    return { claimed, deleted };
  }

  private async deliveryCounts(key: string, entries: StreamEntry[]): Promise<Map<string, number>> {
    const pending = (await (this.redis as Redis).xpending(
      key,
      this.options.group,
      entries[0][0],
      entries[entries.length - 1][0],
      entries.length * 2 + 10,
      this.options.consumer,
    )) as Array<[string, string, number, number]>;
    return new Map(pending.map(([id, , , count]) => [String(id), Number(count)]));
  }

  private async processBatch(
    key: string,
    stream: string,
    entries: StreamEntry[],
    deliveriesOf: (id: string) => number,
  ): Promise<void> {
    const outcomes: Outcome[] = new Array<Outcome>(entries.length);
    let next = 0;
    const work = async (): Promise<void> => {
      while (next < entries.length) {
        const index = next;
        next += 1;
        const [id, fields] = entries[index];
        outcomes[index] = await this.processOne(key, stream, id, fields, deliveriesOf(id));
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.concurrency, entries.length) }, () => work()),
    );
    // Acknowledged together, after every handler of the batch resolved.
    const toAck = entries.filter((_, index) => outcomes[index] === 'ack').map(([id]) => id);
    if (toAck.length > 0) {
      await (this.redis as Redis).xack(key, this.options.group, ...toAck);
      busInstruments().consumed.add(toAck.length, { stream, group: this.options.group });
    }
  }

  private async processOne(
    key: string,
    stream: string,
    id: string,
    fields: Record<string, string>,
    deliveries: number,
  ): Promise<Outcome> {
    const raw = fields[Fields.Envelope];
    const parsed = parseEnvelope(raw);
    if (!parsed.ok) {
      await this.deadLetter(
        key,
        stream,
        id,
        raw,
        `invalid_envelope: ${parsed.error}`,
        deliveries,
        'invalid',
      );
      return 'done';
    }
    if (deliveries > this.maxDeliveries) {
      await this.deadLetter(
        key,
        stream,
        id,
        raw,
        `delivery_limit: delivered ${deliveries} times without acknowledgement`,
        deliveries,
        'delivery_limit',
      );
      return 'done';
    }
    const envelope = parsed.envelope;
    const delivery: Delivery = {
      stream,
      key,
      id,
      group: this.options.group,
      consumer: this.options.consumer,
      deliveries,
      fields,
    };
    try {
      await this.runHandler(envelope, delivery);
      return 'ack';
    } catch (error) {
      busInstruments().failed.add(1, { stream, group: this.options.group });
      if (deliveries >= this.maxDeliveries) {
        await this.deadLetter(key, stream, id, raw, errorMessage(error), deliveries, 'failed');
        return 'done';
      }
      this.logger.warn(
        `handler failed for ${stream} ${id} (${envelope.type}, delivery ${deliveries}/${this.maxDeliveries}): ${errorMessage(error)}`,
      );
      return 'retry';
    }
  }

  private runHandler(envelope: Envelope, delivery: Delivery): Promise<unknown> {
    const tracer = this.tracer as Tracer;
    return tracer.startActiveSpan(
      `${delivery.stream} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'redis',
          'messaging.operation.type': 'process',
          'messaging.destination.name': delivery.stream,
          'messaging.consumer.group.name': delivery.group,
          'messaging.message.id': envelope.id,
          'gad.event.type': envelope.type,
          'gad.agency.id': envelope.agencyId,
          'gad.delivery.count': delivery.deliveries,
        },
      },
      contextFromTraceparent(envelope.traceparent),
      async (span) => {
        try {
          return await this.options.handler(envelope, delivery);
        } catch (error) {
          span.recordException(error instanceof Error ? error : new Error(String(error)));
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  /** Appends the entry with its error to `<stream>:dlq` and acknowledges the original, atomically. */
  private async deadLetter(
    key: string,
    stream: string,
    id: string,
    raw: string | undefined,
    error: string,
    attempts: number,
    reason: 'invalid' | 'failed' | 'delivery_limit',
  ): Promise<void> {
    const dlqKey = this.keys.dlq(stream);
    await execPipeline(
      (this.redis as Redis)
        .multi()
        .xadd(
          dlqKey,
          'MAXLEN',
          '~',
          this.dlqMaxLen,
          '*',
          Fields.Envelope,
          raw ?? '',
          'error',
          error.slice(0, 4_000),
          'attempts',
          String(attempts),
          'stream',
          stream,
          'entryId',
          id,
          'group',
          this.options.group,
          'consumer',
          this.options.consumer,
          'failedAt',
          new Date().toISOString(),
        )
        .xack(key, this.options.group, id)
        .exec(),
    );
    busInstruments().deadLettered.add(1, { stream, group: this.options.group, reason });
    this.logger.warn(`moved ${stream} ${id} to ${dlqKey} after ${attempts} attempt(s): ${error}`);
  }

  private async sampleStats(): Promise<void> {
    const redis = this.redis as Redis;
    const pipeline = redis.pipeline();
    for (const { key, stream } of this.streams) {
      pipeline.xlen(this.keys.dlq(stream));
      pipeline.xinfo('GROUPS', key);
    }
    const replies = (await pipeline.exec()) ?? [];
    this.streams.forEach(({ stream }, index) => {
      const [lenError, length] = replies[index * 2] ?? [null, 0];
      if (!lenError) {
        recordDlqLength(stream, Number(length));
      }
      const [infoError, groups] = replies[index * 2 + 1] ?? [null, []];
      if (!infoError && Array.isArray(groups)) {
        for (const group of groups) {
          const info = new Map<string, unknown>();
          const flat = group as unknown[];
          for (let i = 0; i + 1 < flat.length; i += 2) {
            info.set(String(flat[i]), flat[i + 1]);
          }
          if (info.get('name') === this.options.group) {
            const lag = info.get('lag');
            recordGroupLag(stream, this.options.group, lag === null ? 0 : Number(lag ?? 0));
          }
        }
      }
    });
  }
}

type ParsedEnvelope = { ok: true; envelope: Envelope } | { ok: false; error: string };

export function parseEnvelope(raw: string | undefined): ParsedEnvelope {
  if (raw === undefined) {
    return { ok: false, error: `missing field "${Fields.Envelope}"` };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { ok: false, error: `bad JSON: ${errorMessage(error)}` };
  }
  const result = envelopeSchema.safeParse(json);
  return result.success
    ? { ok: true, envelope: result.data as Envelope }
    : { ok: false, error: z.prettifyError(result.error) };
}
