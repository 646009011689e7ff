import { AsyncLocalStorage } from 'node:async_hooks';
import type { PoolClient } from 'pg';

/**
 * The {@link UnitOfWork} transaction the current code runs in, for libraries that add rows to it
 * without being handed the transaction (the audit recorder writes its entry into the same
 * transaction as the change it describes; docs/adr/0021).
 */
export interface AmbientTransaction {
  readonly client: PoolClient;
  /**
   * Queues rows (JSON text that `jsonb` can hold) for the outbox stream `stream`; written in this
   * transaction before the commit, after the events. Dropped when the attempt rolls back.
   */
  appendRows(stream: string, rows: readonly string[]): void;
}

/**
 * Watches the unit-of-work transactions started inside {@link withTransactionObserver}: e.g. the
 * audit interceptor, which writes a request's entry into the transaction that makes its change.
 */
export interface TransactionObserver {
  /** Inside each transaction (each attempt), after the work, before the outbox rows are written. */
  beforeCommit?(tx: AmbientTransaction, result: unknown): void;
  /** After that transaction committed. */
  afterCommit?(): void;
}

const ambient = new AsyncLocalStorage<AmbientTransaction>();
const observers = new AsyncLocalStorage<TransactionObserver>();

/** The unit-of-work transaction of the calling code, if any. */
export function currentTransaction(): AmbientTransaction | undefined {
  return ambient.getStore();
}

/** Runs `fn` with `tx` as the ambient transaction (used by `UnitOfWork`). */
export function runInTransaction<T>(tx: AmbientTransaction, fn: () => T): T {
  return ambient.run(tx, fn);
}

/** Runs `fn`; every unit of work it starts (also asynchronously) reports to `observer`. */
export function withTransactionObserver<T>(observer: TransactionObserver, fn: () => T): T {
  return observers.run(observer, fn);
}

/** The observer of the calling code, if any (used by `UnitOfWork`). */
export function currentTransactionObserver(): TransactionObserver | undefined {
  return observers.getStore();
}
