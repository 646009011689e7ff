import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { createLogger } from '@gad/observability';
import { createHash } from 'node:crypto';
import { type Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import { prepareValue } from 'pg/lib/utils';
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
 * Ends a transaction with `statements` and COMMIT in one simple-query message: its last writes and
 * its commit in one round trip (docs/adr/0042). For the last step of a {@link runTransaction} work
 * only (the unit of work's timeline and outbox inserts); `runTransaction` then sends no COMMIT of
 * its own. A text has no parameters (its values written in as literals); a named {@link SqlQuery}
 * goes as `EXECUTE` over a `PREPARE` of its text, as a transaction's first statement does, or, when
 * its values cannot go as literals, on its own before the rest. If a statement fails, PostgreSQL
 * skips what follows it and the transaction is rolled back as after any failed statement; a
 * failure of the COMMIT itself (a serialization failure) rejects like `runTransaction`'s COMMIT.
 */
export async function commitWith(
  client: PoolClient,
  statements: ReadonlyArray<string | SqlQuery>,
): Promise<void> {
  let message: string[] = [];
  for (const statement of statements) {
    const text = typeof statement === 'string' ? statement : executeText(client, statement);
    if (text !== undefined) {
      message.push(text);
      continue;
    }
    if (message.length > 0) {
      await client.query(message.join(';\n'));
      message = [];
    }
    await queryResult(client, statement as SqlQuery);
  }
  message.push('COMMIT');
  await client.query(message.join(';\n'));
  committedByWork.add(client);
}

/** Clients given an 'error' listener by {@link connectClient}. */
const listened = new WeakSet<PoolClient>();

/**
 * Checks a client out of `pool` with an 'error' listener of its own. node-postgres emits 'error'
 * on a client whose connection is lost (PostgreSQL restarted, the backend terminated); pg-pool
 * listens only while the client is idle, so the loss of a checked-out connection was an unhandled
 * 'error' event, which ends the process. With the listener it is logged; the statement in flight
 * (and any after it) rejects, and the caller releases the client as broken. Every explicit
 * checkout goes through here (`pool.query` has its own listener).
 */
export async function connectClient(pool: Pool): Promise<PoolClient> {
  const client = await pool.connect();
  if (!listened.has(client)) {
    listened.add(client);
    client.on('error', (error: Error) => {
      logger.warn({ err: error }, 'database connection lost while in use');
    });
  }
  return client;
}

async function transactionOnce<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  begin: string,
): Promise<T> {
  const client = await connectClient(pool);
  const opening = openWithFirstStatement(client, begin);
  let broken = false;
  try {
    const result = await work(client);
    opening.done();
    if (!committedByWork.delete(client) && opening.begun()) {
      await client.query('COMMIT');
    }
    return result;
  } catch (error) {
    opening.done();
    committedByWork.delete(client);
    if (opening.begun()) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

type ClientQuery = (...args: unknown[]) => unknown;

/** Statements each pooled connection holds from an SQL `PREPARE` (by name); gone with it. */
const preparedOn = new WeakMap<PoolClient, Set<string>>();

/** node-postgres's own `query` of a client whose method {@link openWithFirstStatement} replaced. */
const originalQuery = new WeakMap<PoolClient, ClientQuery>();

/**
 * Sends `begin` in the same message as the transaction's first statement instead of a round trip
 * of its own (docs/adr/0042): until the first `client.query`, nothing is sent. A named statement
 * (a repository's prepared statement) goes as `BEGIN…; EXECUTE name(literals)` once the
 * connection holds an SQL `PREPARE` of its text ({@link executeText}); each value is written as
 * the literal of the text node-postgres would bind (`prepareValue`), which PostgreSQL reads with
 * the parameter's input function, as it reads a bound value. An unnamed statement without values
 * is sent after `begin` in one simple-query message. Anything else (a statement the connection
 * has not prepared yet, an unnamed one with values, binary values, a row mode, a stream, a
 * callback) is queued after `begin` as before:
 * node-postgres sends its queue in order, so nothing here waits and no statement overtakes the
 * BEGIN.
 */
function openWithFirstStatement(
  client: PoolClient,
  begin: string,
): { begun(): boolean; done(): void } {
  const original = client.query as unknown as ClientQuery;
  const beginStatements = begin.split(';').length;
  let begun = false;
  const own = Object.prototype.hasOwnProperty.call(client, 'query');
  const restore = () => {
    // node-postgres's method is on the prototype: drop the own property that shadowed it.
    if (own) {
      (client as { query: unknown }).query = original;
    } else {
      delete (client as { query?: unknown }).query;
    }
    originalQuery.delete(client);
  };
  const patched: ClientQuery = (...args: unknown[]) => {
    restore();
    begun = true;
    const folded = args.length === 1 ? foldedText(client, args[0], begin) : undefined;
    if (folded === undefined) {
      void (original.call(client, begin) as Promise<unknown>).catch(() => undefined);
      return original.apply(client, args);
    }
    return (original.call(client, folded.text) as Promise<QueryResult[]>).then((results) => {
      const own = results.slice(beginStatements);
      return folded.execute || own.length === 1 ? own[own.length - 1] : own;
    });
  };
  (client as { query: unknown }).query = patched;
  originalQuery.set(client, original);
  return {
    begun: () => begun,
    done: () => {
      if (!begun) {
        restore();
      }
    },
  };
}

/**
 * Values longer than this in all go bound, after a BEGIN of their own: a round trip matters less
 * to such a statement than PostgreSQL lexing its values as literals.
 */
const FOLD_LIMIT_CHARS = 16_384;

/** `text` as an SQL string literal (an `E''` one when it holds a backslash). */
function quoted(text: string): string {
  const inner = text.replaceAll("'", "''");
  return text.includes('\\') ? ` E'${inner.replaceAll('\\', '\\\\')}'` : `'${inner}'`;
}

/** `begin` and the first statement as one message's text; undefined when it cannot go so. */
function foldedText(
  client: PoolClient,
  first: unknown,
  begin: string,
): { text: string; execute: boolean } | undefined {
  if (typeof first === 'string') {
    return { text: `${begin};\n${first}`, execute: false };
  }
  if (typeof first !== 'object' || first === null) {
    return undefined;
  }
  const config = first as Record<string, unknown>;
  if (
    typeof config['text'] !== 'string' ||
    typeof config['submit'] === 'function' ||
    config['rowMode'] !== undefined ||
    config['types'] !== undefined
  ) {
    return undefined;
  }
  const values = Array.isArray(config['values']) ? (config['values'] as unknown[]) : [];
  if (typeof config['name'] !== 'string') {
    return values.length === 0
      ? { text: `${begin};\n${config['text']}`, execute: false }
      : undefined;
  }
  const execute = executeText(client, { text: config['text'], values });
  return execute === undefined ? undefined : { text: `${begin};\n${execute}`, execute: true };
}

/** The `PREPARE` name of each statement text: the same text always gets the same name. */
const preparedNames = new Map<string, string>();

/**
 * `EXECUTE` of `query` with its values written as literals, for a simple-query message that
 * carries other statements too (a `BEGIN` or a `COMMIT`, docs/adr/0042), once the connection
 * holds an SQL `PREPARE` of its text. The first time a connection meets the text this queues the
 * `PREPARE` (ahead of whatever is sent next; a `PREPARE` is not undone by a rollback, and one that
 * failed is forgotten and queued again later) and answers undefined: the caller runs the
 * statement as usual this once, so its own errors reach the caller as they are. Undefined too for
 * values that cannot go as literals (binary, or longer than {@link FOLD_LIMIT_CHARS} in all).
 */
export function executeText(client: PoolClient, query: SqlQuery): string | undefined {
  const literals: string[] = [];
  let length = 0;
  for (const value of query.values ?? []) {
    const bound = prepareValue(value) as unknown;
    if (bound !== null && typeof bound !== 'string') {
      return undefined; // binary (a Buffer): bound as before
    }
    const literal = bound === null ? 'NULL' : quoted(bound);
    length += literal.length;
    if (length > FOLD_LIMIT_CHARS) {
      return undefined; // large values (e.g. a batch's arrays): bound, not lexed as text
    }
    literals.push(literal);
  }
  let name = preparedNames.get(query.text);
  if (name === undefined) {
    name = `gad_tx_${createHash('sha1').update(query.text).digest('hex').slice(0, 20)}`;
    preparedNames.set(query.text, name);
  }
  let prepared = preparedOn.get(client);
  if (prepared === undefined) {
    prepared = new Set();
    preparedOn.set(client, prepared);
  }
  if (!prepared.has(name)) {
    const set = prepared.add(name);
    const statement = name;
    const send = (originalQuery.get(client) ?? client.query) as ClientQuery;
    void (send.call(client, `PREPARE ${name} AS ${query.text}`) as Promise<unknown>).catch(() =>
      set.delete(statement),
    );
    return undefined;
  }
  return literals.length > 0 ? `EXECUTE ${name}(${literals.join(', ')})` : `EXECUTE ${name}`;
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

  /** A client of the pool for a session of several statements ({@link connectClient}); release it. */
  connect(): Promise<PoolClient> {
    return connectClient(this.pool);
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
