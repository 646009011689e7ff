import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@gad/bus';
import { Streams, type Envelope } from '@gad/contracts';
import type { PoolClient } from 'pg';
import { dispatchInstruments } from './dispatch.metrics';
import { DISPATCH_BEGIN, TimelineRepository, type NewTimelineEntry } from './timeline.repository';

/** One dispatch-domain transaction: the change, its timeline entries and its events. */
export interface DispatchTx {
  /** The transaction's client: repositories run the change's named statements on it. */
  readonly client: PoolClient;
  /** Queues a domain event for `gad:dispatch:events`; written to the outbox at commit. */
  emit(envelope: Envelope): void;
  /** Queues an incident timeline entry; written at commit. */
  note(entry: NewTimelineEntry): void;
}

/**
 * The unit of work of the dispatch domain: the kit's {@link UnitOfWork} (docs/adr/0005, 0012).
 * Every state change runs inside {@link run}: its rows, its timeline entries and its outbox events
 * commit together or not at all; the relay is nudged after the commit.
 *
 * Writers lock rows in one order: incident, then assignment, then unit (and take them `FOR NO KEY
 * UPDATE`, so the foreign-key checks of timeline and outbox inserts never wait on them). A
 * serialization failure or deadlock that still happens runs the whole transaction again
 * (`Database.transaction`: at most 5 attempts, jittered backoff); events and timeline entries
 * queued by a failed attempt are dropped, so only the committed attempt's events reach the outbox.
 */
@Injectable()
export class DispatchTransactions {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly timeline: TimelineRepository,
  ) {}

  async run<T>(work: (tx: DispatchTx) => Promise<T>): Promise<T> {
    let events: Envelope[] = [];
    const result = await this.unitOfWork.run(
      async (tx) => {
        events = [];
        const entries: NewTimelineEntry[] = [];
        const attempt = events;
        const value = await work({
          client: tx.client,
          emit: (envelope) => {
            attempt.push(envelope);
            tx.emit(Streams.DispatchEvents, envelope);
          },
          note: (entry) => entries.push(entry),
        });
        // One statement: the entries and the response-time summary they move (docs/adr/0027),
        // sent with the COMMIT.
        const append = this.timeline.appendStatement(entries);
        if (append) {
          tx.atCommit(append);
        }
        return value;
      },
      { begin: DISPATCH_BEGIN },
    );
    const counter = dispatchInstruments().events;
    for (const event of events) {
      counter.add(1, { type: event.type });
    }
    return result;
  }
}
