import type { OnApplicationShutdown } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import {
  AUDIT_ENTRIES_JOB,
  AUDIT_ENTRIES_PER_JOB_MAX,
  Queues,
  auditJobId,
  auditEntrySchema,
  isStorableText,
  uuidv7,
  UUID_V7_PATTERN,
  type Actor,
  type AuditEntriesJob,
  type AuditEntry,
  type AuditOutcome,
} from '@gad/contracts';
import { currentTransaction, type OutboxRelay, type OutboxWriter } from '@gad/bus';
import { createLogger } from '@gad/observability';
import { Queue } from 'bullmq';
import { redisClientFromUrl, type Database } from '@gad/platform';
import type { Redis } from 'ioredis';
import { redact, sanitizeText } from './audit-redaction';
import { requestAuditScope } from './audit-scope';
import { fromStorableJson, toStorableJson } from './storable-json';

/**
 * Outbox stream of audit entries (docs/adr/0021): rows written with the change they describe,
 * relayed by the service's `OutboxRelay` to the BullMQ queue `audit`.
 */
export const AUDIT_OUTBOX_STREAM = 'queue:audit';

/** The service's transactional outbox, for a recorder of a service that owns a database. */
export interface AuditOutboxPort {
  database: Database;
  writer: OutboxWriter;
  relay: OutboxRelay;
}

/** Structured log sink (pino's shape); defaults to `createLogger('audit-recorder')`. */
export interface AuditLogger {
  warn(context: Record<string, unknown>, message: string): void;
  error(context: Record<string, unknown>, message: string): void;
}

export interface AuditRecorderOptions {
  /** Name of the recording service, stored in every entry. */
  service: string;
  redisUrl: string;
  /** `REDIS_KEY_PREFIX` of the deployment; the BullMQ prefix becomes `<keyPrefix>{bull}`. */
  keyPrefix?: string;
  /** Entries kept in memory while Redis is unreachable (default 10,000); beyond that they are counted and logged. */
  bufferCapacity?: number;
  /** Entries per `addBulk` round trip (default 500). */
  flushBatchSize?: number;
  /**
   * Most entries one job carries (default 100, at most 500). Entries buffered together leave in as
   * few jobs as this allows: BullMQ's cost is per job, so under load the queue, Redis and the
   * worker spend it once per group instead of once per entry (docs/adr/0007-audit-jobs-carry-entries.md).
   */
  entriesPerJob?: number;
  /** Deadline of one `addBulk` (default 5,000 ms); the batch stays buffered and is retried. */
  enqueueTimeoutMs?: number;
  /** Delay before retrying after a failure (doubles up to 5 s; default 200 ms). */
  retryDelayMs?: number;
  logger?: AuditLogger;
  /**
   * The service's outbox (database services): entries recorded inside a `UnitOfWork` transaction
   * are written in it, others with one insert; the relay moves them to the queue (ADR 0021).
   * Without it (ws-gateway) {@link AuditRecorder.write} awaits the queue itself.
   */
  outbox?: AuditOutboxPort;
  /**
   * With an outbox: after the relay handed entries to the queue, the next ones wait up to this
   * long (default 50 ms) so one `addBulk` carries the entries of many commits. Its cost is per
   * call (about 300 µs of the service's CPU whether the job holds 1 entry or 20), so under load
   * one call per commit made the audit entry cost more than the rest of the write. The entry is
   * durable in the outbox from its commit; only its arrival in the chain waits. An entry that
   * finds the relay idle for longer goes at once.
   */
  relayLingerMs?: number;
}

/** What a caller supplies; `id`, `occurredAt` and `service` are filled in when absent. */
export interface AuditRecordInput {
  agencyId: string;
  actor: Actor;
  action: string;
  outcome?: AuditOutcome;
  object?: { type: string; id?: string };
  reason?: string;
  changes?: { before?: unknown; after?: unknown };
  source?: { ip?: string; userAgent?: string };
  traceId?: string;
  details?: Record<string, unknown>;
  id?: string;
  occurredAt?: Date;
  /** The service the entry is of, when not the recorder's own (an entry forwarded over RPC). */
  service?: string;
}

/** Thrown synchronously by {@link AuditRecorder.record} when an entry cannot be valid (a caller bug). */
export class AuditEntryInvalidError extends Error {
  constructor(readonly issues: string) {
    super(`invalid audit entry: ${issues}`);
    this.name = 'AuditEntryInvalidError';
  }
}

/**
 * BullMQ prefix for a deployment's Redis key prefix (`''` -> `{bull}`, `test:x:` -> `test:x:{bull}`).
 * The hash tag keeps every key of the queue in one slot, which BullMQ's Lua scripts need on a
 * Redis Cluster; on a standalone server it is just part of the name (docs/adr/0002-redis-cluster.md).
 */
export const auditQueuePrefix = (keyPrefix = ''): string => `${keyPrefix}{bull}`;

/**
 * Job options of every audit job. The job id is made from its entries' ids ({@link auditJobId}), so
 * an `addBulk` retried after a timeout adds the same jobs again, which BullMQ ignores while they
 * wait, and the worker skips entries already in the chain once stored. A completed job is
 * removed at once: the row is the record, and removing instead of keeping or trimming completed
 * jobs saved about a third of Redis's CPU per entry (docs/benchmarks.md, Audit). Attempts are only
 * spent by entries the worker cannot store (a database outage does not count); after them the job
 * stays in the failed set (`gad_audit_queue_depth{state="failed"}`).
 */
export const AUDIT_JOB_OPTIONS = {
  attempts: 100,
  backoff: { type: 'fixed', delay: 5_000, jitter: 0.5 },
  removeOnComplete: true,
  removeOnFail: false,
} as const;

/**
 * Records audit entries (docs/adr/0007, 0021). In a service that owns a database (`outbox` set) an
 * entry is a row of the service's outbox: written in the `UnitOfWork` transaction of the change it
 * describes, or on its own, and moved to the BullMQ queue `audit` by the outbox relay (this
 * recorder is its `queue:audit` sink; at-least-once, the worker skips entries it has). Without an
 * outbox {@link write} awaits the queue. Last resort only (queue and outbox both unreachable, or no
 * outbox and {@link record}): a bounded in-memory buffer flushed with `addBulk`; an entry that finds
 * it full is counted (`gad_audit_record_overflow_total`, an alert metric) and logged.
 */
export class AuditRecorder implements OnApplicationShutdown {
  private readonly redis: Redis;
  private readonly queue: Queue<AuditEntriesJob>;
  private readonly buffer: AuditEntry[] = [];
  private readonly capacity: number;
  private readonly batchSize: number;
  private readonly entriesPerJob: number;
  private readonly enqueueTimeoutMs: number;
  private readonly baseRetryMs: number;
  private readonly logger: AuditLogger;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private failures = 0;
  private closed = false;
  private overflowed = 0;
  private jobsEnqueued = 0;
  private drainedWaiters: Array<() => void> = [];
  private readonly writing = new Set<Promise<void>>();
  /** Entries {@link write} adds to the queue at the end of this event-loop turn, with their callers. */
  private turnBatch: Array<{ entry: AuditEntry; done: () => void }> = [];

  private readonly overflowCounter = metrics
    .getMeter('@gad/audit')
    .createCounter('gad_audit_record_overflow_total', {
      description: 'Audit entries lost because the in-memory buffer was full (alert on > 0)',
    });
  private readonly enqueuedCounter = metrics
    .getMeter('@gad/audit')
    .createCounter('gad_audit_record_enqueued_total', { description: 'Audit entries enqueued' });

  constructor(private readonly options: AuditRecorderOptions) {
    this.capacity = options.bufferCapacity ?? 10_000;
    this.batchSize = options.flushBatchSize ?? 500;
    this.entriesPerJob = Math.min(
      Math.max(1, options.entriesPerJob ?? 100),
      AUDIT_ENTRIES_PER_JOB_MAX,
    );
    this.enqueueTimeoutMs = options.enqueueTimeoutMs ?? 5_000;
    this.baseRetryMs = options.retryDelayMs ?? 200;
    this.logger = options.logger ?? createLogger('audit-recorder');
    // Redis or, for `redis+cluster://` URLs, an ioredis Cluster (BullMQ accepts either).
    this.redis = redisClientFromUrl(options.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(100 * times, 2_000),
    });
    this.redis.on('error', () => undefined);
    this.redis.on('ready', () => {
      // Redis is back: flush now instead of waiting out the retry delay.
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      this.schedule(0);
    });
    this.queue = new Queue<AuditEntriesJob>(Queues.Audit, {
      connection: this.redis,
      prefix: auditQueuePrefix(options.keyPrefix),
    });
    this.queue.on('error', () => undefined);
    options.outbox?.relay.registerSink(
      AUDIT_OUTBOX_STREAM,
      { deliver: (rows) => this.deliver(rows) },
      { lingerMs: options.relayLingerMs ?? 50 },
    );
    metrics
      .getMeter('@gad/audit')
      .createObservableGauge('gad_audit_record_buffered', {
        description: 'Audit entries waiting in memory for Redis',
      })
      .addCallback((result) => result.observe(this.buffer.length));
  }

  /** Whether entries recorded inside a `UnitOfWork` transaction commit with it (an outbox). */
  get recordsInTransactions(): boolean {
    return this.options.outbox !== undefined;
  }

  /** The entry `input` becomes (validated, redacted), without recording it. */
  entryOf(input: AuditRecordInput): AuditEntry {
    return this.toEntry(input);
  }

  /** Entries waiting in memory. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Jobs added to the queue since start (each holds one or more entries). */
  get enqueuedJobs(): number {
    return this.jobsEnqueued;
  }

  /** Entries lost to a full buffer since start (each was logged). */
  get overflowCount(): number {
    return this.overflowed;
  }

  /**
   * Records one entry and returns its id without waiting. With an outbox, inside a `UnitOfWork`
   * transaction the entry is written in that transaction (it commits or rolls back with the
   * change); outside one it is inserted into the outbox in the background. Without an outbox it is
   * buffered for the `audit` queue. Use {@link write} where the caller must not answer before the
   * entry is durable. Throws {@link AuditEntryInvalidError} when the entry cannot be valid.
   */
  record(input: AuditRecordInput): string {
    const entry = this.toEntry(input);
    if (this.inTransaction(entry)) {
      return entry.id;
    }
    if (this.options.outbox && !this.closed) {
      this.track(this.writeOutside(entry));
      return entry.id;
    }
    this.bufferEntry(entry);
    return entry.id;
  }

  /**
   * Records one entry durably before it resolves: in the current `UnitOfWork` transaction (durable
   * with its commit), else inserted into the service's outbox, else (no database: ws-gateway) added
   * to the `audit` queue. Only when all of these fail is it buffered in memory and logged.
   */
  async write(input: AuditRecordInput): Promise<string> {
    const entry = this.toEntry(input);
    if (this.inTransaction(entry)) {
      return entry.id;
    }
    if (this.options.outbox) {
      await this.writeOutside(entry);
    } else {
      await this.enqueueNow(entry);
    }
    return entry.id;
  }

  /** Entries of rows relayed from the outbox, to the queue (the relay's `queue:audit` sink). */
  async deliver(rows: readonly string[]): Promise<void> {
    const entries = rows.map((row) => fromStoredRow(row));
    this.jobsEnqueued += await this.addEntries(entries);
    this.enqueuedCounter.add(entries.length, { service: this.options.service });
  }

  private inTransaction(entry: AuditEntry): boolean {
    const tx = this.options.outbox ? currentTransaction() : undefined;
    if (!tx) {
      return false;
    }
    tx.appendRows(AUDIT_OUTBOX_STREAM, [storedRow(entry)]);
    return true;
  }

  private async writeOutside(entry: AuditEntry): Promise<void> {
    const outbox = this.options.outbox as AuditOutboxPort;
    try {
      await outbox.writer.appendJson(outbox.database.pool, AUDIT_OUTBOX_STREAM, [storedRow(entry)]);
      outbox.relay.nudge();
    } catch (error) {
      this.logger.warn(
        { auditEntryId: entry.id, error: (error as Error).message },
        'audit outbox insert failed: adding the entry to the queue directly',
      );
      await this.enqueueNow(entry);
    }
  }

  /**
   * Resolves once the entry is on the queue (or, failing that, buffered and logged). Entries
   * written in the same event-loop turn leave in one `addBulk`, in jobs of up to `entriesPerJob`:
   * a connection storm at ws-gateway audits hundreds of handshakes at once, and a job, a Lua call
   * and a round trip per entry were most of the garbage a handshake left behind
   * (tools/bench/analysis/ws.md).
   */
  private enqueueNow(entry: AuditEntry): Promise<void> {
    return new Promise((resolve) => {
      if (this.turnBatch.push({ entry, done: resolve }) === 1) {
        setImmediate(() => void this.enqueueTurnBatch());
      }
    });
  }

  private async enqueueTurnBatch(): Promise<void> {
    const batch = this.turnBatch;
    this.turnBatch = [];
    const entries = batch.map((item) => item.entry);
    try {
      this.jobsEnqueued += await this.addEntries(entries);
      this.enqueuedCounter.add(entries.length, { service: this.options.service });
    } catch (error) {
      this.failed((error as Error).message);
      entries.forEach((entry) => this.bufferEntry(entry));
    }
    batch.forEach((item) => item.done());
  }

  private track(write: Promise<void>): void {
    this.writing.add(write);
    // An audited request answers only after the entries recorded while it ran are durable.
    requestAuditScope.getStore()?.writes.add(write);
    void write.finally(() => this.writing.delete(write));
  }

  private bufferEntry(entry: AuditEntry): void {
    if (this.buffer.length >= this.capacity || this.closed) {
      this.overflowed += 1;
      this.overflowCounter.add(1, { service: this.options.service });
      this.logger.error(
        {
          auditEntryId: entry.id,
          agencyId: entry.agencyId,
          action: entry.action,
          actorId: entry.actor.id,
          outcome: entry.outcome,
          occurredAt: entry.occurredAt,
          overflowCount: this.overflowed,
        },
        this.closed
          ? 'audit recorder closed: entry not recorded'
          : 'audit buffer full: entry not recorded',
      );
      return;
    }
    this.buffer.push(entry);
    this.schedule(0);
  }

  /** Adds `entries` to the queue as jobs of up to `entriesPerJob`, within `enqueueTimeoutMs`. */
  private async addEntries(entries: readonly AuditEntry[]): Promise<number> {
    const jobs = [];
    for (let start = 0; start < entries.length; start += this.entriesPerJob) {
      const group = entries.slice(start, start + this.entriesPerJob);
      jobs.push({
        name: AUDIT_ENTRIES_JOB,
        data: { entries: group },
        opts: { jobId: auditJobId(group), ...AUDIT_JOB_OPTIONS },
      });
    }
    let deadline: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.queue.addBulk(jobs),
        new Promise<never>((_, reject) => {
          deadline = setTimeout(
            () => reject(new Error(`addBulk timed out after ${this.enqueueTimeoutMs} ms`)),
            this.enqueueTimeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(deadline);
    }
    return jobs.length;
  }

  /**
   * Waits until every entry recorded so far has reached the queue: background outbox inserts,
   * the outbox rows (the relay is nudged) and the memory buffer; false when the deadline passes.
   */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    await Promise.all([...this.writing]);
    const outbox = this.options.outbox;
    while (outbox && !this.closed) {
      const unsent = await outbox.writer
        .unsent(outbox.database.pool, AUDIT_OUTBOX_STREAM)
        .catch(() => -1);
      if (unsent === 0) {
        break;
      }
      if (Date.now() >= deadline) {
        return false;
      }
      outbox.relay.nudge();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.flushBuffer(Math.max(0, deadline - Date.now()));
  }

  /** Waits until every buffered entry has reached Redis (or the deadline passes). */
  private async flushBuffer(timeoutMs: number): Promise<boolean> {
    if (this.buffer.length === 0 && !this.inFlight) {
      return true;
    }
    this.schedule(0);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.drainedWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Flushes what it can within `timeoutMs`, logs what is left, and closes the Redis connection. */
  async close(timeoutMs = 5_000): Promise<void> {
    if (this.closed) {
      return;
    }
    // Rows already in the outbox are durable: the relay (of this or another replica) moves them.
    await Promise.all([...this.writing]);
    const drained = await this.flushBuffer(timeoutMs);
    this.closed = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!drained && this.buffer.length > 0) {
      this.logger.error(
        { lost: this.buffer.length, firstId: this.buffer[0]?.id },
        'audit recorder closing with entries not sent to Redis',
      );
    }
    await this.queue.close().catch(() => undefined);
    this.redis.disconnect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private toEntry(input: AuditRecordInput): AuditEntry {
    return auditEntryOf(input, this.options.service);
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.timer || this.inFlight || this.buffer.length === 0) {
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flushOnce();
    }, delayMs);
    this.timer.unref();
  }

  private async flushOnce(): Promise<void> {
    if (this.buffer.length === 0) {
      this.notifyDrained();
      return;
    }
    if (this.redis.status !== 'ready') {
      // Still opening the first connection is not an outage; a lost or refused one is.
      if (!['wait', 'connecting', 'connect'].includes(this.redis.status)) {
        this.failed(`redis connection is ${this.redis.status}`);
      }
      this.schedule(this.retryDelay());
      return;
    }
    this.inFlight = true;
    const batch = this.buffer.slice(0, this.batchSize);
    // The buffer only loses entries at its head and gains them at its tail, so a job id (first and
    // last entry id) always names the same run of entries, also when a timed-out flush is retried.
    try {
      const jobs = await this.addEntries(batch);
      this.buffer.splice(0, batch.length);
      this.jobsEnqueued += jobs;
      this.enqueuedCounter.add(batch.length, { service: this.options.service });
      if (this.failures > 0) {
        this.logger.warn({ pending: this.buffer.length }, 'audit queue reachable again');
      }
      this.failures = 0;
    } catch (error) {
      this.failed((error as Error).message);
    } finally {
      this.inFlight = false;
    }
    if (this.buffer.length === 0) {
      this.notifyDrained();
    } else {
      this.schedule(this.failures > 0 ? this.retryDelay() : 0);
    }
  }

  private failed(reason: string): void {
    if (this.failures === 0) {
      this.logger.warn(
        { pending: this.buffer.length, error: reason },
        'audit queue unreachable: buffering entries',
      );
    }
    this.failures += 1;
  }

  private retryDelay(): number {
    return Math.min(this.baseRetryMs * 2 ** Math.min(this.failures, 5), 5_000);
  }

  private notifyDrained(): void {
    const waiters = this.drainedWaiters;
    this.drainedWaiters = [];
    for (const waiter of waiters) {
      waiter();
    }
  }
}

/**
 * The entry `input` becomes for `service` (id and time filled in, text sanitised, secrets redacted),
 * validated. Throws {@link AuditEntryInvalidError} when it cannot be valid.
 */
export function auditEntryOf(input: AuditRecordInput, service: string): AuditEntry {
  const occurredAt = input.occurredAt ?? new Date();
  // Built member by member in the schema's order, with only the schema's members: the entry zod
  // would return. The types guarantee its shape; what they cannot (lengths, formats, storable
  // text) is checked by `holdsLimits`, cheaply. Zod runs only to name what is wrong in an entry
  // that fails the check: validating every entry with it cost the gateway twice the validation of
  // the request body, for values the code built itself (tools/bench/analysis/api.md).
  const actor: Actor = { kind: input.actor.kind, id: input.actor.id };
  if (input.actor.roles !== undefined) {
    actor.roles = [...input.actor.roles];
  }
  const entry: AuditEntry = {
    id: input.id ?? uuidv7(occurredAt.getTime()),
    occurredAt: occurredAt.toISOString(),
    agencyId: input.agencyId,
    actor,
    service: input.service ?? service,
    action: input.action,
    // The schema's member order (`object` before `outcome`), as zod's output had it.
    ...(input.object
      ? {
          object:
            input.object.id === undefined
              ? { type: input.object.type }
              : { type: input.object.type, id: input.object.id },
        }
      : {}),
    outcome: input.outcome ?? 'success',
  };
  if (input.reason !== undefined) {
    entry.reason = sanitizeText(input.reason, 2_000);
  }
  if (input.changes) {
    const changes: NonNullable<AuditEntry['changes']> = {};
    if (input.changes.before !== undefined) {
      changes.before = redact(input.changes.before);
    }
    if (input.changes.after !== undefined) {
      changes.after = redact(input.changes.after);
    }
    entry.changes = changes;
  }
  if (input.source) {
    const source: NonNullable<AuditEntry['source']> = {};
    if (input.source.ip) {
      source.ip = sanitizeText(input.source.ip, 100);
    }
    if (input.source.userAgent) {
      source.userAgent = sanitizeText(input.source.userAgent, 500);
    }
    entry.source = source;
  }
  if (input.traceId !== undefined) {
    entry.traceId = input.traceId;
  }
  if (input.details) {
    entry.details = redact(input.details) as Record<string, unknown>;
  }
  if (!holdsLimits(entry)) {
    const parsed = auditEntrySchema.safeParse(entry);
    throw new AuditEntryInvalidError(
      parsed.success
        ? 'an entry member is not of its type'
        : parsed.error.issues
            .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
            .join('; '),
    );
  }
  return entry;
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const ISO_UTC_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const OUTCOMES: ReadonlySet<unknown> = new Set(['success', 'denied', 'failed']);
const ACTOR_KINDS: ReadonlySet<unknown> = new Set(['user', 'service', 'device', 'system']);

/** A string of `min`..`max` UTF-16 units; `storable`: no NUL nor unpaired surrogate (`text()`). */
function isText(value: unknown, min: number, max: number, storable: boolean): boolean {
  return (
    typeof value === 'string' &&
    value.length >= min &&
    value.length <= max &&
    (!storable || isStorableText(value))
  );
}

const optionalText = (value: unknown, min: number, max: number): boolean =>
  value === undefined || isText(value, min, max, false);

/**
 * What `auditEntrySchema` checks of an entry built by {@link auditEntryOf} that its type does not
 * guarantee (a caller may still pass a value of another type from untyped code, so the types are
 * checked too). True only if zod would accept the entry; a test holds the two together.
 */
function holdsLimits(entry: AuditEntry): boolean {
  const { actor, object, source, changes, details } = entry;
  return (
    isText(entry.id, 0, Infinity, true) &&
    UUID_V7_PATTERN.test(entry.id) &&
    isText(entry.occurredAt, 0, Infinity, true) &&
    ISO_UTC_MILLIS.test(entry.occurredAt) &&
    isText(entry.agencyId, 1, 100, true) &&
    ACTOR_KINDS.has(actor.kind) &&
    isText(actor.id, 1, 200, true) &&
    (actor.roles === undefined ||
      (Array.isArray(actor.roles) &&
        actor.roles.every((role) => isText(role, 0, Infinity, true)))) &&
    isText(entry.service, 1, 100, true) &&
    isText(entry.action, 1, 100, true) &&
    (object === undefined ||
      (isText(object.type, 1, 100, false) && optionalText(object.id, 1, 200))) &&
    OUTCOMES.has(entry.outcome) &&
    optionalText(entry.reason, 0, 2_000) &&
    (changes === undefined || isPlainRecord(changes)) &&
    (source === undefined ||
      (optionalText(source.ip, 0, 100) && optionalText(source.userAgent, 0, 500))) &&
    (entry.traceId === undefined ||
      (isText(entry.traceId, 0, Infinity, true) && TRACE_ID.test(entry.traceId))) &&
    (details === undefined || isPlainRecord(details))
  );
}

/** An object zod's `z.object`/`z.record` accepts: not null, not an array. */
function isPlainRecord(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return false;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Records an entry in the `UnitOfWork` transaction the caller runs in, as a `queue:audit` outbox
 * row, without a recorder: for command-line tools that have no Redis (`npm run admin:create`). The
 * running services' relays deliver the row (docs/adr/0021). Returns the entry id; throws when no
 * unit-of-work transaction runs or the entry cannot be valid.
 */
export function recordInCurrentTransaction(input: AuditRecordInput, service: string): string {
  const tx = currentTransaction();
  if (!tx) {
    throw new Error('recordInCurrentTransaction: no unit-of-work transaction runs');
  }
  const entry = auditEntryOf(input, service);
  tx.appendRows(AUDIT_OUTBOX_STREAM, [storedRow(entry)]);
  return entry.id;
}

/**
 * What in an entry's JSON text may need the stored form: `JSON.stringify` writes NUL as `\u0000`
 * and an unpaired surrogate as `\udXXX` (lowercase), and the escape mark as it is. A string that
 * merely contains such text (a backslash, `u0000`) also matches: it takes the slow path, which
 * leaves it as it is.
 */
const MAY_NEED_ESCAPE = /\\u0000|\\ud[89a-f]|\ue000/;
/** A stored row holds an escaped string only if the mark appears in it (raw or as an escape). */
const MAY_HOLD_ESCAPED = /\ue000|\\u[eE]000/;

/**
 * An entry as an outbox row: JSON text `jsonb` can hold (NUL and lone surrogates escaped). Almost
 * every entry holds none of them and needs no escaping; its stored form is then its plain JSON, and
 * the copy `toStorableJson` makes of the whole entry (the request's after-image included) is
 * skipped: the in-transaction write of a request's entry costs one `JSON.stringify`.
 */
function storedRow(entry: AuditEntry): string {
  const json = JSON.stringify(entry);
  return MAY_NEED_ESCAPE.test(json) ? JSON.stringify(toStorableJson(entry)) : json;
}

/** The entry of a relayed outbox row (the original: escaped strings restored). */
function fromStoredRow(row: string): AuditEntry {
  const value: unknown = JSON.parse(row);
  return MAY_HOLD_ESCAPED.test(row) ? fromStorableJson<AuditEntry>(value) : (value as AuditEntry);
}
