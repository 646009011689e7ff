import { Injectable } from '@nestjs/common';
import type { Envelope } from '@gad/contracts';
import { commitWith, Database, type TransactionOptions } from '@gad/platform';
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
}

export interface UnitOfWorkOptions extends TransactionOptions {
  /** Runs after `work`, before the events are written (in the same transaction). */
  beforeCommit?: (client: PoolClient) => Promise<void>;
}

/**
 * The one unit of work of a service that owns data (docs/adr/0012): `work` runs in one transaction
 * (`Database.transaction`, retried as a whole on a serialization failure or deadlock), the events it
 * emitted are appended to `<schema>.outbox` in that transaction, in one statement sent with the
 * COMMIT, and the relay is nudged after the commit. Events queued by an attempt that rolled back are dropped. Provided by
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
        }),
      );
      await runInTransaction(ambient, () => options.beforeCommit?.(client));
      observer?.beforeCommit?.(ambient, value);
      if (emitted > 0) {
        // Events and rows (e.g. the audit entry) in one statement, sent with the COMMIT: one
        // round trip for both.
        await commitWith(
          client,
          this.outbox.itemsStatement([
            ...queued.flatMap(({ stream, envelopes }) =>
              envelopes.map((envelope) => this.outbox.item(stream, envelope)),
            ),
            ...rows.flatMap(({ stream, rows: list }) => list.map((json) => ({ stream, json }))),
          ]),
        );
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
