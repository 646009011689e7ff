import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { createLogger } from '@gad/observability';
import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import { pgPoolOf } from './create-data-source';

/**
 * One statement as a repository runs it: the text of a named statement of its `*.repository.sql`
 * (`sqlOf`) and the values of its `$n` parameters. With `name`, node-postgres prepares it once per
 * connection under that name (geo-service's hot paths, docs/adr/0009); without, it is sent unnamed,
 * parsed and planned per execution, as TypeORM's `query()` did (docs/adr/0012).
 */
export interface SqlQuery {
  readonly name?: string;
  readonly text: string;
  readonly values?: readonly unknown[];
}

/** The pool, or the one pooled client of a transaction: what a repository runs its SQL on. */
export type SqlClient = Pool | PoolClient;

/** Runs `query` on `client` and returns node-postgres's result (`rows`, `rowCount`). */
export function queryResult<R extends QueryResultRow>(
  client: SqlClient,
  query: SqlQuery,
): Promise<QueryResult<R>> {
  return client.query<R>({
    ...(query.name ? { name: query.name } : {}),
    text: query.text,
    values: (query.values ?? []) as unknown[],
  });
}

/** Runs `query` on `client` and returns its rows (`RETURNING` rows for writes). */
export async function queryRows<R extends QueryResultRow>(
  client: SqlClient,
  query: SqlQuery,
): Promise<R[]> {
  return (await queryResult<R>(client, query)).rows;
}

export interface TransactionOptions {
  /**
   * The statement opening the transaction, `BEGIN` by default; settings may follow in the same
   * round trip (`BEGIN; SET LOCAL plan_cache_mode = force_custom_plan`, docs/adr/0009).
   */
  begin?: string;
  /**
   * Whole-transaction attempts before a serialization failure or deadlock reaches the caller.
   * Default {@link TRANSACTION_ATTEMPTS}; 1 never retries.
   */
  attempts?: number;
}

/** Whole-transaction attempts before a serialization failure or deadlock reaches the caller. */
export const TRANSACTION_ATTEMPTS = 5;
const RETRY_BASE_MS = 10;

/** SQLSTATEs after which the whole transaction is run again: serialization failure, deadlock. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

/** A serialization failure or deadlock (also when wrapped by TypeORM as `driverError`). */
export function isRetryableTxError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const record = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = record.driverError?.code ?? record.code;
  return typeof code === 'string' && RETRYABLE_SQLSTATES.has(code);
}

const logger = createLogger('database');

/**
 * Runs `work` in one transaction on one client of `pool` (commit on resolve, rollback on throw).
 * A serialization failure or deadlock runs the whole of `work` again, at most `attempts` times with
 * jittered exponential backoff (10, 20, 40 ms ...); anything else reaches the caller at once. A
 * client whose rollback failed is discarded, not returned to the pool.
 */
export async function runTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? TRANSACTION_ATTEMPTS;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await transactionOnce(pool, work, options.begin ?? 'BEGIN');
    } catch (error) {
      if (attempt >= attempts || !isRetryableTxError(error)) {
        throw error;
      }
      logger.warn({ err: error, attempt }, 'transaction retried');
      await sleep(RETRY_BASE_MS * 2 ** (attempt - 1) * (0.5 + Math.random()));
    }
  }
}

/** Clients whose transaction the work committed itself ({@link commitWith}). */
const committedByWork = new WeakSet<PoolClient>();

/**
 * Runs `text` and COMMIT in one simple-query message: a transaction's last statement and its
 * commit in one round trip. For the last step of a {@link runTransaction} work only (the unit of
 * work's outbox insert); `runTransaction` then sends no COMMIT of its own. `text` has no
 * parameters: its values are written into it as literals. If the statement fails, PostgreSQL
 * skips the COMMIT and the transaction is rolled back as after any failed statement; a failure of
 * the COMMIT itself (a serialization failure) rejects like one of `runTransaction`'s COMMIT.
 */
export async function commitWith(client: PoolClient, text: string): Promise<void> {
  await client.query(`${text};\nCOMMIT`);
  committedByWork.add(client);
}

async function transactionOnce<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  begin: string,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(begin);
    const result = await work(client);
    if (!committedByWork.delete(client)) {
      await client.query('COMMIT');
    }
    return result;
  } catch (error) {
    committedByWork.delete(client);
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * The database as repositories use it (docs/adr/0012): named statements of their
 * `*.repository.sql` run on the pg pool beneath the app's TypeORM `DataSource`, outside a
 * transaction on the pool, inside one on the transaction's client. Provided by `DatabaseModule`.
 */
@Injectable()
export class Database {
  constructor(private readonly dataSource: DataSource) {}

  /** The pg pool beneath the DataSource (initialized by then). */
  get pool(): Pool {
    return pgPoolOf(this.dataSource);
  }

  rows<R extends QueryResultRow>(query: SqlQuery, client: SqlClient = this.pool): Promise<R[]> {
    return queryRows<R>(client, query);
  }

  result<R extends QueryResultRow>(
    query: SqlQuery,
    client: SqlClient = this.pool,
  ): Promise<QueryResult<R>> {
    return queryResult<R>(client, query);
  }

  /** {@link runTransaction} on the pool: `work` runs its statements on the client it is given. */
  transaction<T>(
    work: (client: PoolClient) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T> {
    return runTransaction(this.pool, work, options);
  }
}
