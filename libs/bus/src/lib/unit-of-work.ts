import { Injectable } from '@nestjs/common';
import type { Envelope } from '@gad/contracts';
import { commitWith, Database, type SqlQuery, type TransactionOptions } from '@gad/platform';
import type { PoolClient } from 'pg';
import { OutboxRelay } from './outbox.relay';
import { OutboxWriter } from './outbox.writer';
import {
  currentTransactionObserver,
  runInTransaction,
  type AmbientTransaction,
} from './transaction-scope';

/** One transaction of a {@link UnitOfWork}. */
export interface UnitOfWorkTx {
  /** The transaction's client: repositories run the change's statements on it. */
  readonly client: PoolClient;
  /** Queues events for `stream`; written to the outbox, in emit order, before the commit. */
  emit(stream: string, envelopes: Envelope | readonly Envelope[]): void;
  /**
   * Queues a write (a repository's named statement) that runs at the commit, before the outbox
   * rows, in the COMMIT's message (e.g. the dispatch timeline's append).
   */
  atCommit(statement: SqlQuery): void;
}

export interface UnitOfWorkOptions extends TransactionOptions {
  /** Runs after `work`, before the events are written (in the same transaction). */
  beforeCommit?: (client: PoolClient) => Promise<void>;
}

/**
 * The one unit of work of a service that owns data (docs/adr/0012): `work` runs in one transaction
 * (`Database.transaction`, retried as a whole on a serialization failure or deadlock), the events it
 * emitted are appended to `<schema>.outbox` in that transaction, in one statement sent with the
 * COMMIT (with the writes queued by `atCommit`), and the relay is nudged after the commit. Events queued by an attempt that rolled back are dropped. Provided by
 * `OutboxModule.forSchema()`.
 */
@Injectable()
export class UnitOfWork {
  constructor(
    private readonly database: Database,
    private readonly outbox: OutboxWriter,
    private readonly relay: OutboxRelay,
  ) {}

  async run<T>(
    work: (tx: UnitOfWorkTx) => Promise<T>,
    options: UnitOfWorkOptions = {},
  ): Promise<T> {
    let emitted = 0;
    const observer = currentTransactionObserver();
    const result = await this.database.transaction(async (client) => {
      const queued: { stream: string; envelopes: Envelope[] }[] = [];
      const writes: SqlQuery[] = [];
      const rows: { stream: string; rows: string[] }[] = [];
      emitted = 0;
      const ambient: AmbientTransaction = {
        client,
        appendRows: (stream, list) => {
          const last = rows[rows.length - 1];
          if (last?.stream === stream) {
            last.rows.push(...list);
          } else {
            rows.push({ stream, rows: [...list] });
          }
          emitted += list.length;
        },
      };
      const value = await runInTransaction(ambient, () =>
        work({
          client,
          emit: (stream, envelopes) => {
            const list = Array.isArray(envelopes) ? envelopes : [envelopes as Envelope];
            const last = queued[queued.length - 1];
            if (last?.stream === stream) {
              last.envelopes.push(...list);
            } else {
              queued.push({ stream, envelopes: [...list] });
            }
            emitted += list.length;
          },
          atCommit: (statement) => writes.push(statement),
        }),
      );
      await runInTransaction(ambient, () => options.beforeCommit?.(client));
      observer?.beforeCommit?.(ambient, value);
      const items = [
        ...queued.flatMap(({ stream, envelopes }) =>
          envelopes.map((envelope) => this.outbox.item(stream, envelope)),
        ),
        ...rows.flatMap(({ stream, rows: list }) => list.map((json) => ({ stream, json }))),
      ];
      if (writes.length > 0 || items.length > 0) {
        // The queued writes, then the events and rows (e.g. the audit entry) in one statement,
        // sent with the COMMIT: one round trip for all (docs/adr/0042).
        await commitWith(client, [
          ...writes,
          ...(items.length > 0 ? [this.outbox.itemsStatement(items)] : []),
        ]);
      }
      return value;
    }, options);
    observer?.afterCommit?.();
    if (emitted > 0) {
      this.relay.nudge();
    }
    return result;
  }
}
