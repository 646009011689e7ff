import type { Envelope } from '@gad/contracts';
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
  transaction<T>(fn: (executor: SqlExecutor) => Promise<T>): Promise<T>;
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
    if (list.length === 0) {
      return;
    }
    await executor.query(
      `INSERT INTO ${this.table} (stream, envelope)
       SELECT $1, e FROM unnest($2::jsonb[]) WITH ORDINALITY AS t(e, n) ORDER BY n`,
      [stream, list.map((envelope) => JSON.stringify(withTraceparent(envelope)))],
    );
  }
}
