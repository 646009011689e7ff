import type { Redis } from 'ioredis';
import { connectClient, executeText } from '@gad/platform';
import { escapeLiteral, type Pool, type PoolClient } from 'pg';
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
} from './redis-connection';
import { StreamPublisher } from './stream.publisher';
import {
  assertIdentifier,
  type SqlExecutor,
  type SqlTransactionRunner,
  type SqlTransactionRunOptions,
} from './outbox.writer';

export interface OutboxRelayOptions {
  runner: SqlTransactionRunner;
  /** Schema holding the `outbox` table. */
  schema: string;
  redis: RedisConnection;
  prefix?: string;
  /** Poll period when idle. Default 500 ms (call `nudge()` after a commit to relay at once). */
  pollIntervalMs?: number;
  /** Rows per transaction. Default 500. */
  batchSize?: number;
  /** First retry delay after a failure, doubled up to `maxBackoffMs`. Default 200 ms. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  commandTimeoutMs?: number;
  /** `XADD MAXLEN ~`. Default 100,000. */
  maxLen?: number;
  /**
   * After a pass that relayed rows, the next pass starts no sooner than this long after it started
   * (default 0: at once when nudged). Under a steady stream of commits one pass then carries the
   * rows of several, instead of about one pass per commit; a row that finds the relay idle (the
   * last pass relayed nothing) still goes at once. Rows wait at most this long more under load
   * (docs/adr/0033).
   */
  coalesceMs?: number;
  logger?: BusLogger;
}

/**
 * Prefix of outbox streams that are not Redis streams: their rows go to the {@link OutboxSink}
 * registered for the stream (e.g. `queue:audit`, the audit outbox relayed to BullMQ; ADR 0021).
 */
export const OUTBOX_SINK_PREFIX = 'queue:';

/** Delivers the rows of one sink stream; one relay serves events and sinks alike. */
export interface OutboxSink {
  /**
   * Delivers `rows` (the JSON text of each row, in id order) and resolves once they are durable
   * there. Called again with the same rows when the transaction that marks them sent fails, so it
   * must be idempotent.
   */
  deliver(rows: readonly string[]): Promise<void>;
}

export interface OutboxSinkOptions {
  /**
   * After a delivery, rows of this stream wait up to this long (default 0: none) so that the next
   * delivery carries the rows of many commits; the stream's other rows and every event stream are
   * relayed as before. For sinks whose cost is per call, not per row: a BullMQ `addBulk` of one
   * job costs about the same with 1 entry as with 20 (the audit sink, docs/adr/0021). A row that
   * finds the sink idle for longer is delivered at once.
   */
  lingerMs?: number;
}

interface RegisteredSink {
  sink: OutboxSink;
  lingerMs: number;
  /** `Date.now()` of this relay's last delivery to the sink. */
  deliveredAt: number;
  /**
   * The last delivery came from a full batch: more rows were waiting (a backlog), so the next
   * ones are not held. Lingering gathers the rows of many commits into one call; a backlog
   * already gives full calls, and holding it back would only idle the relay.
   */
  backlog: boolean;
}

interface OutboxRow {
  id: string;
  stream: string;
  /** Events: the envelope as `pg` parsed the jsonb (a sink's rows come as `text`). */
  envelope: unknown;
  /** Sink rows: the row's JSON text as PostgreSQL prints it, handed to the sink unparsed. */
  text: string | null;
  /** Marked sent by this pass (to be delivered before it commits). */
  marked: boolean;
}

/** Reason of a nudge's abort of the relay's wait (not an error). */
const NUDGED = 'nudged';

/** `ARRAY[...]::text[]` of `values` as SQL literals. */
function textArray(values: readonly string[]): string {
  return `ARRAY[${values.map((value) => escapeLiteral(value)).join(', ')}]::text[]`;
}

function rowsOf(result: unknown): OutboxRow[] {
  if (Array.isArray(result)) {
    return result as OutboxRow[];
  }
  const rows = (result as { rows?: unknown } | null)?.rows;
  return Array.isArray(rows) ? (rows as OutboxRow[]) : [];
}

/**
 * Moves committed outbox rows to their streams: in id order, pipelined, marked sent in the same
 * transaction. A transaction-scoped advisory lock keeps one relay per table active at a time. While
 * Redis is down rows stay unsent and are retried with backoff (logged once per outage).
 */
export class OutboxRelay {
  private readonly table: string;
  private readonly logger: BusLogger;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private redis?: Redis;
  private publisher?: StreamPublisher;
  private running = false;
  private readonly stopSignal = new AbortController();
  private wake = new AbortController();
  private nudged = false;
  private loopDone: Promise<void> = Promise.resolve();
  private outageSince?: number;
  private readonly sinks = new Map<string, RegisteredSink>();
  /** When rows held back for a lingering sink become due (0: none held). */
  private heldUntil = 0;
  private readonly warnedSinkless = new Set<string>();
  private readonly coalesceMs: number;
  /** `Date.now()` when the last pass started, and whether it relayed rows. */
  private passStartedAt = 0;
  private passSent = false;

  constructor(private readonly options: OutboxRelayOptions) {
    this.table = `${assertIdentifier(options.schema)}.outbox`;
    this.logger = options.logger ?? defaultLogger(`OutboxRelay:${options.schema}`);
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.batchSize = options.batchSize ?? 500;
    this.minBackoffMs = options.minBackoffMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.coalesceMs = Math.max(0, options.coalesceMs ?? 0);
  }

  start(): void {
    if (this.running) {
      return;
    }
    this.redis = openRedis(this.options.redis, {
      commandTimeoutMs: this.options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      connectionName: `bus:outbox-relay:${this.options.schema}`,
      logger: this.logger,
      extra: NO_LATE_COMMANDS,
    });
    this.publisher = new StreamPublisher(this.redis, {
      prefix: this.options.prefix,
      maxLen: this.options.maxLen,
    });
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Rows of `stream` (`queue:<name>`) go to `sink` instead of a Redis stream. */
  registerSink(stream: string, sink: OutboxSink, options: OutboxSinkOptions = {}): void {
    if (!stream.startsWith(OUTBOX_SINK_PREFIX)) {
      throw new Error(`a sink stream starts with ${OUTBOX_SINK_PREFIX}: ${stream}`);
    }
    this.sinks.set(stream, {
      sink,
      lingerMs: Math.max(0, options.lingerMs ?? 0),
      deliveredAt: 0,
      backlog: false,
    });
  }

  /** Relays now instead of at the next poll (call after committing rows). */
  nudge(): void {
    this.nudged = true;
    // Once per wait: `abort()` without a reason builds a DOMException (a stack trace) on every
    // call, also when already aborted, and every commit of the service nudges.
    if (!this.wake.signal.aborted) {
      this.wake.abort(NUDGED);
    }
  }

  /** Stops after the current batch and closes the Redis connection. */
  async stop(): Promise<void> {
    if (!this.running) {
      return;
    }
    this.running = false;
    this.stopSignal.abort();
    this.wake.abort();
    await this.loopDone;
    if (this.redis) {
      await closeRedis(this.redis);
    }
  }

  /**
   * One transaction: relays up to `batchSize` unsent rows. Returns how many were sent (0 when
   * another relay holds the lock or nothing is pending).
   */
  async relayOnce(): Promise<number> {
    const publisher = this.publisher;
    if (!publisher || !this.redis) {
      throw new Error('OutboxRelay.relayOnce() before start()');
    }
    if (this.redis.status !== 'ready') {
      // Checked before opening a transaction: no database work while Redis is away.
      throw new Error(`redis is ${this.redis.status}`);
    }
    let relayed = 0;
    const run: SqlTransactionRunOptions = {
      // The next pass starts at once (commits came in during this one, or a backlog waits): its
      // first message carries this pass's COMMIT, one round trip less (docs/adr/0033).
      commitWithNext: () => this.running && (this.nudged || relayed >= this.batchSize),
    };
    return this.options.runner.transaction(async (q: SqlExecutor) => {
      // Streams of lingering sinks delivered to less than their linger ago wait for a later pass.
      const startedAt = Date.now();
      const held: string[] = [];
      this.heldUntil = 0;
      for (const [stream, registered] of this.sinks) {
        const due = registered.deliveredAt + registered.lingerMs;
        if (registered.lingerMs > 0 && !registered.backlog && due > startedAt) {
          held.push(stream);
          this.heldUntil = this.heldUntil === 0 ? due : Math.min(this.heldUntil, due);
        }
      }
      // One statement takes the lock, picks the unsent rows and marks the deliverable ones sent
      // (docs/adr/0033); `pgPoolTransactionRunner` runs it as a prepared statement (its text
      // takes one form per set of held streams), and the pass ends with COMMIT once every
      // delivery succeeded.
      const rows = rowsOf(await q.query(this.passStatement(held)));
      if (rows.length === 0) {
        return 0;
      }
      const backlog = rows.length >= this.batchSize;
      const toStreams: { stream: string; json: string }[] = [];
      const toSinks = new Map<RegisteredSink, string[]>();
      let sent = 0;
      for (const row of rows) {
        if (!row.marked) {
          // A sink stream no sink of this relay serves: kept unsent until a relay that has the
          // sink (e.g. after a rolling upgrade) takes it. (Rows another relay sent between this
          // statement's snapshot and its lock are not marked either, and are skipped.)
          if (
            row.stream.startsWith(OUTBOX_SINK_PREFIX) &&
            !this.sinks.has(row.stream) &&
            !this.warnedSinkless.has(row.stream)
          ) {
            this.warnedSinkless.add(row.stream);
            this.logger.warn(`outbox rows for ${row.stream} wait: no sink registered`);
          }
          continue;
        }
        sent += 1;
        if (!row.stream.startsWith(OUTBOX_SINK_PREFIX)) {
          const json =
            typeof row.envelope === 'string' ? row.envelope : JSON.stringify(row.envelope);
          toStreams.push({ stream: row.stream, json });
          continue;
        }
        const sink = this.sinks.get(row.stream) as RegisteredSink;
        const list = toSinks.get(sink) ?? [];
        list.push(row.text ?? JSON.stringify(row.envelope));
        toSinks.set(sink, list);
      }
      if (sent === 0) {
        return 0;
      }
      // The mark commits only after every delivery succeeded (a failed one rolls it back).
      await Promise.all([
        publisher.publishRaw(toStreams),
        ...[...toSinks].map(async ([registered, list]) => {
          await registered.sink.deliver(list);
          registered.deliveredAt = Date.now();
          registered.backlog = backlog;
        }),
      ]);
      relayed = rows.length;
      return sent;
    }, run);
  }

  /**
   * The statement of one pass, its values written as literals (no parameters: a runner may prepare
   * it once per connection and run it with the simple or the extended protocol). In id order, up to `batchSize`
   * unsent rows outside `held`, each with `marked` true if this statement marked it sent: rows of
   * event streams and of streams this relay has a sink for. None when another relay holds the
   * transaction-scoped advisory lock (the same key as before: `hashtext` of the table name). The
   * UPDATE checks `sent_at IS NULL` again, so a row another relay sent and committed after this
   * statement's snapshot but before it took the lock is not marked (PostgreSQL re-checks an
   * updated row's latest version), and is not delivered twice. The UPDATE finds its rows by
   * primary key (`id = ANY(array)`), not by joining the picked rows to the unsent index, which
   * would read every unsent row of a backlog on each pass; the runner turns bitmap and sequential
   * scans off so `picked` walks the unsent index in id order and stops at the limit (ADR 0043).
   */
  private passStatement(held: readonly string[]): string {
    const sinkPrefix = escapeLiteral(OUTBOX_SINK_PREFIX);
    const isSink = (alias: string) => `starts_with(${alias}.stream, ${sinkPrefix})`;
    return `WITH lock AS MATERIALIZED (
  SELECT pg_try_advisory_xact_lock(hashtext(${escapeLiteral(this.table)})) AS locked
), picked AS MATERIALIZED (
  SELECT o.id, o.stream FROM ${this.table} o
  WHERE (SELECT locked FROM lock) AND o.sent_at IS NULL AND NOT (o.stream = ANY(${textArray(held)}))
  ORDER BY o.id LIMIT ${this.batchSize}
), marked AS (
  UPDATE ${this.table} o SET sent_at = now()
  WHERE o.id = ANY(ARRAY(
      SELECT p.id FROM picked p
      WHERE NOT ${isSink('p')} OR p.stream = ANY(${textArray([...this.sinks.keys()])})))
    AND o.sent_at IS NULL
  RETURNING o.id,
    CASE WHEN ${isSink('o')} THEN o.envelope::text END AS text,
    CASE WHEN ${isSink('o')} THEN NULL ELSE o.envelope END AS envelope
)
SELECT p.id, p.stream, m.text, m.envelope, m.id IS NOT NULL AS marked
FROM picked p LEFT JOIN marked m ON m.id = p.id ORDER BY p.id`;
  }

  private async loop(): Promise<void> {
    // Give the first connection a moment before counting it as an outage.
    await waitReady(this.redis as Redis, 2_000, this.stopSignal.signal);
    let backoffMs = this.minBackoffMs;
    while (this.running) {
      let sent = 0;
      try {
        this.passStartedAt = Date.now();
        this.passSent = false;
        sent = await this.relayOnce();
        this.passSent = sent > 0;
        if (this.outageSince !== undefined) {
          this.logger.log(
            `outbox relay recovered after ${Date.now() - this.outageSince} ms; relaying backlog`,
          );
          this.outageSince = undefined;
        }
        backoffMs = this.minBackoffMs;
      } catch (error) {
        await this.flushCommit();
        if (this.outageSince === undefined) {
          this.outageSince = Date.now();
          this.logger.warn(
            `outbox relay failing, rows stay unsent and are retried: ${errorMessage(error)}`,
          );
        }
        // Nudges do not shorten the backoff: an outage must not turn every commit into a retry.
        await sleep(backoffMs * (0.5 + Math.random()), this.stopSignal.signal);
        backoffMs = Math.min(backoffMs * 2, this.maxBackoffMs);
        continue;
      }
      if (sent < this.batchSize) {
        await this.idle();
      }
    }
    await this.flushCommit();
  }

  /** Commits a pass whose COMMIT was left for the next pass, before the relay waits or stops. */
  private async flushCommit(): Promise<void> {
    await this.options.runner.flush?.();
  }

  /** Waits for the next poll, a nudge or stop; returns at once if nudged since the last batch. */
  private async idle(): Promise<void> {
    if (this.coalesceMs > 0 && this.passSent && this.running) {
      // Rows keep arriving: let the commits of the window gather for one pass.
      const wait = this.passStartedAt + this.coalesceMs - Date.now();
      if (wait > 0) {
        await this.flushCommit();
        await sleep(wait, this.stopSignal.signal);
      }
    }
    if (this.nudged || !this.running) {
      this.nudged = false;
      return;
    }
    await this.flushCommit();
    this.wake = new AbortController();
    // Rows held for a lingering sink go when due, not at the next poll.
    const untilHeld = this.heldUntil > 0 ? this.heldUntil - Date.now() : this.pollIntervalMs;
    // `stop()` aborts `wake` too: one signal, not an `AbortSignal.any` per wait, whose composite
    // signals and their weak bookkeeping outlive every scavenge until a full GC.
    await sleep(Math.max(1, Math.min(this.pollIntervalMs, untilHeld)), this.wake.signal);
    this.nudged = false;
  }
}

export interface PgPoolRunnerOptions {
  /** `SET LOCAL statement_timeout` for each transaction. Default 5,000 ms. */
  statementTimeoutMs?: number;
  /**
   * `false`: `SET LOCAL synchronous_commit = off` in each transaction, so COMMIT does not wait
   * for its WAL flush. Default true. The relay's runner in `OutboxModule` sets it: a relay pass
   * commits only the marks of rows it already delivered, so a mark lost to a PostgreSQL crash
   * makes its rows be delivered again (at-least-once, as after a relay killed mid-pass), never
   * lost; and a flush per pass cost more of PostgreSQL's CPU and the pass's time than the pass's
   * statements (docs/adr/0033).
   */
  synchronousCommit?: boolean;
}

/**
 * A {@link SqlTransactionRunner} over a `pg` Pool: one client, commit on resolve, rollback on a
 * throw, no retry. BEGIN (with its `SET LOCAL`s) is not sent until the transaction's first
 * statement: a transaction that runs no statement sends nothing. A statement without parameters
 * (the relay's pass) goes in the same simple-query message as the BEGIN, as `EXECUTE` of an SQL
 * `PREPARE` the connection holds from its first run (`executeText` of `@gad/platform`):
 * PostgreSQL plans it once per connection (planning the pass's CTE cost about 0.5 ms per pass,
 * more than running it) and a pass is two round trips, `BEGIN; …; EXECUTE` and `COMMIT`
 * (docs/adr/0033). So pass only statements whose text takes a bounded number of forms. A statement with parameters runs on its
 * own, unnamed, after the BEGIN. With `commitWithNext` answering true, a transaction keeps its
 * client and leaves its COMMIT to the next transaction's first message (`COMMIT; BEGIN …;
 * EXECUTE`) or to `flush()`: back-to-back passes are one round trip each besides their delivery.
 */
export function pgPoolTransactionRunner(
  pool: Pool,
  options: PgPoolRunnerOptions = {},
): SqlTransactionRunner {
  const statementTimeoutMs = Math.max(1, Math.floor(options.statementTimeoutMs ?? 5_000));
  // Bitmap and sequential scans off: the pass must walk the unsent index in id order and stop at
  // its batch. A bitmap scan of that index reads the entry of every row marked sent since the last
  // vacuum, and never marks them dead for the next pass as a plain index scan does; a sequential
  // scan is what the planner picks for an outbox it has no statistics of (a new table, no
  // autovacuum), and the pass's plan is kept per connection while the table grows. They made a
  // pass 1.2-1.7 and 2.2-3.2 ms instead of 0.1 at 500 commits a second (ADR 0043).
  const begin =
    `BEGIN; SET LOCAL statement_timeout = ${statementTimeoutMs}` +
    '; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off' +
    (options.synchronousCommit === false ? '; SET LOCAL synchronous_commit = off' : '');
  /** A client whose transaction committed its work but not yet its COMMIT (`commitWithNext`). */
  let carried: PoolClient | undefined;
  return {
    async transaction<T>(
      fn: (executor: SqlExecutor) => Promise<T>,
      run: SqlTransactionRunOptions = {},
    ): Promise<T> {
      const client = carried ?? (await connectClient(pool));
      // The previous transaction's COMMIT, sent first in this one's first message.
      let pendingCommit = carried !== undefined;
      carried = undefined;
      let begun = false;
      let broken = false;
      let keep = false;
      const opening = (): string => {
        const text = pendingCommit ? `COMMIT;\n${begin}` : begin;
        pendingCommit = false;
        begun = true;
        return text;
      };
      const executor: SqlExecutor = {
        async query(sql: string, params?: unknown[]): Promise<unknown> {
          if (params && params.length > 0) {
            if (!begun) {
              await client.query(opening());
            }
            return client.query(sql, params);
          }
          const execute = executeText(client, { text: sql });
          const statement = execute ?? sql; // planned this once, prepared for the next pass
          const text = begun ? statement : `${opening()};\n${statement}`;
          return lastResult(await client.query(text));
        },
      };
      try {
        const result = await fn(executor);
        if (pendingCommit) {
          await client.query('COMMIT'); // no statement of this one carried it
        }
        if (begun) {
          if (run.commitWithNext?.() === true) {
            keep = true;
            carried = client;
          } else {
            await client.query('COMMIT');
          }
        }
        return result;
      } catch (error) {
        // A carried COMMIT not sent yet belongs to the previous transaction, which succeeded.
        const end = pendingCommit ? 'COMMIT' : begun ? 'ROLLBACK' : undefined;
        if (end !== undefined) {
          await client.query(end).catch(() => {
            broken = true;
          });
        }
        throw error;
      } finally {
        if (!keep) {
          client.release(broken);
        }
      }
    },
    async flush(): Promise<void> {
      const client = carried;
      carried = undefined;
      if (client === undefined) {
        return;
      }
      let broken = false;
      try {
        await client.query('COMMIT');
      } catch {
        // The marks are lost: their rows are delivered again (at-least-once), never lost.
        broken = true;
      } finally {
        client.release(broken);
      }
    },
  };
}

/** The result of a message's last statement (a multi-statement message yields one per statement). */
function lastResult(result: unknown): unknown {
  return Array.isArray(result) ? result[result.length - 1] : result;
}
