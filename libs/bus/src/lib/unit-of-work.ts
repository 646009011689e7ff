import { Injectable } from '@nestjs/common';
import type { Envelope } from '@gad/contracts';
import { Database, type TransactionOptions } from '@gad/platform';
import type { PoolClient } from 'pg';
import { OutboxRelay } from './outbox.relay';
import { OutboxWriter } from './outbox.writer';

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
 * emitted are appended to `<schema>.outbox` in that transaction, and the relay is nudged after the
 * commit. Events queued by an attempt that rolled back are dropped. Provided by
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
    const result = await this.database.transaction(async (client) => {
      const queued: { stream: string; envelopes: Envelope[] }[] = [];
      emitted = 0;
      const value = await work({
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
      });
      await options.beforeCommit?.(client);
      for (const { stream, envelopes } of queued) {
        await this.outbox.append(client, stream, envelopes);
      }
      return value;
    }, options);
    if (emitted > 0) {
      this.relay.nudge();
    }
    return result;
  }
}
