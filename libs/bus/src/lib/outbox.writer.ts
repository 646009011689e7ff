import type { Envelope } from '@gad/contracts';
import { escapeLiteral } from 'pg';
import { withTraceparent } from './trace-propagation';

/**
 * Anything that runs a parameterised query: a TypeORM `EntityManager`/`QueryRunner`, a pg
 * `PoolClient`. Passing the caller's transactional executor makes the insert part of its transaction.
 */
export interface SqlExecutor {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** Runs `fn` inside one database transaction (commit on resolve, rollback on throw). */
export interface SqlTransactionRunner {
  transaction<T>(
    fn: (executor: SqlExecutor) => Promise<T>,
    options?: SqlTransactionRunOptions,
  ): Promise<T>;
  /** Sends the COMMIT a transaction left for the next one (`commitWithNext`), if any. */
  flush?(): Promise<void>;
}

export interface SqlTransactionRunOptions {
  /**
   * Asked once `fn` resolved: true leaves the COMMIT to travel in the first message of the next
   * transaction, which the caller starts at once, or to {@link SqlTransactionRunner.flush}. A
   * runner that cannot carry it commits as usual.
   */
  commitWithNext?: () => boolean;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

export function assertIdentifier(schema: string): string {
  if (!IDENTIFIER.test(schema)) {
    throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  }
  return schema;
}

/** SQL creating `<schema>.outbox` and its partial index on unsent rows (idempotent). */
export function outboxTableDdl(schema: string): string {
  const s = assertIdentifier(schema);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s};`,
    `CREATE TABLE IF NOT EXISTS ${s}.outbox (`,
    `  id bigserial PRIMARY KEY,`,
    `  stream text NOT NULL,`,
    `  envelope jsonb NOT NULL,`,
    `  created_at timestamptz NOT NULL DEFAULT now(),`,
    `  sent_at timestamptz`,
    `);`,
    `CREATE INDEX IF NOT EXISTS outbox_unsent_idx ON ${s}.outbox (id) WHERE sent_at IS NULL;`,
  ].join('\n');
}

/**
 * Writes envelopes into `<schema>.outbox` with the caller's executor, so they commit or roll back
 * with the business change. Each envelope gets the active `traceparent` unless it has one.
 */
export class OutboxWriter {
  private readonly table: string;

  constructor(schema: string) {
    this.table = `${assertIdentifier(schema)}.outbox`;
  }

  async append(
    executor: SqlExecutor,
    stream: string,
    envelopes: Envelope | readonly Envelope[],
  ): Promise<void> {
    const list = Array.isArray(envelopes) ? envelopes : [envelopes as Envelope];
    await this.appendJson(
      executor,
      stream,
      list.map((envelope) => JSON.stringify(withTraceparent(envelope))),
    );
  }

  /**
   * Writes already serialised rows (each one JSON value `jsonb` can hold) for `stream`, in order. Rows for a
   * sink stream (`queue:<name>`, e.g. the audit outbox's `queue:audit`) are relayed by the sink the
   * relay registered for it instead of `XADD` (docs/adr/0021).
   */
  async appendJson(executor: SqlExecutor, stream: string, rows: readonly string[]): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    await executor.query(
      `INSERT INTO ${this.table} (stream, envelope)
       SELECT $1, e FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n`,
      [stream, jsonArrayOf(rows)],
    );
  }

  /** Rows of `stream` not relayed yet. */
  async unsent(executor: SqlExecutor, stream: string): Promise<number> {
    const result = (await executor.query(
      `SELECT count(*)::int AS n FROM ${this.table} WHERE sent_at IS NULL AND stream = $1`,
      [stream],
    )) as { rows?: Array<{ n: number }> } | Array<{ n: number }>;
    const rows = Array.isArray(result) ? result : (result.rows ?? []);
    return rows[0]?.n ?? 0;
  }

  /** The row of one envelope for {@link itemsStatement} (with the active `traceparent`). */
  item(stream: string, envelope: Envelope): { stream: string; json: string } {
    return { stream, json: JSON.stringify(withTraceparent(envelope)) };
  }

  /**
   * One statement writing rows of several streams in the given order, its values written in as
   * literals (streams escaped, the rows' JSON dollar-quoted), for a caller that sends it in one
   * message with other statements: the unit of work sends it with its COMMIT (`commitWith`, one
   * round trip).
   */
  itemsStatement(items: ReadonlyArray<{ stream: string; json: string }>): string {
    const streams = items.map((item) => escapeLiteral(item.stream)).join(', ');
    const rows = dollarQuoted(jsonArrayOf(items.map((item) => item.json)));
    return `INSERT INTO ${this.table} (stream, envelope)
       SELECT s, e FROM ROWS FROM (unnest(ARRAY[${streams}]::text[]), jsonb_array_elements(${rows}::jsonb))
         WITH ORDINALITY AS t(s, e, n) ORDER BY n`;
  }
}

/**
 * `text` as a dollar-quoted SQL literal, with a tag the text does not contain: nothing inside is
 * escaped, so a JSON document of any size is written as it is.
 */
function dollarQuoted(text: string): string {
  let tag = '$gad$';
  for (let n = 0; text.includes(tag); n += 1) {
    tag = `$gad${n}$`;
  }
  return `${tag}${text}${tag}`;
}

/**
 * Rows (each a JSON text) as the text of one JSON array: joined as they are. A `jsonb[]` parameter
 * made pg escape every quote of every row in JavaScript (the audit entry of a request carries its
 * after-image), and PostgreSQL unescape the array before parsing each row.
 */
function jsonArrayOf(rows: readonly string[]): string {
  return `[${rows.join(',')}]`;
}
