import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { OutboxRelay, OutboxWriter } from '@gad/bus';
import { Streams, type Envelope } from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { isRetryableTxError, TRANSACTION_ATTEMPTS } from '@gad/platform';
import { DataSource, type EntityManager } from 'typeorm';
import { dispatchInstruments } from './dispatch.metrics';
import { TimelineRepository, type NewTimelineEntry } from './timeline.repository';

/** One dispatch-domain transaction: the change, its timeline entries and its events. */
export interface DispatchTx {
  /** Run the change's SQL through this (repositories take it as their executor). */
  readonly executor: EntityManager;
  /** Queues a domain event for `gad:dispatch:events`; written to the outbox at commit. */
  emit(envelope: Envelope): void;
  /** Queues an incident timeline entry; written at commit. */
  note(entry: NewTimelineEntry): void;
}

const RETRY_BASE_MS = 10;

/**
 * The unit of work of the dispatch domain. Every state change runs inside {@link run}: its rows,
 * its timeline entries and its outbox events commit together or not at all (transactional outbox);
 * the relay is nudged after the commit.
 *
 * Writers lock rows in one order: incident, then assignment, then unit (and take them `FOR NO KEY
 * UPDATE`, so the foreign-key checks of timeline and outbox inserts never wait on them). A
 * serialization failure or deadlock that still happens runs the whole transaction again (at most
 * {@link TRANSACTION_ATTEMPTS} attempts, jittered backoff); events and timeline entries queued by
 * a failed attempt are dropped, so only the committed attempt's events reach the outbox.
 */
@Injectable()
export class DispatchTransactions {
  private readonly logger = createLogger('dispatch-transactions');

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly relay: OutboxRelay,
    private readonly timeline: TimelineRepository,
  ) {}

  async run<T>(work: (tx: DispatchTx) => Promise<T>): Promise<T> {
    const events: Envelope[] = [];
    const result = await this.attempt(async () =>
      this.dataSource.transaction(async (manager) => {
        events.length = 0;
        const entries: NewTimelineEntry[] = [];
        const value = await work({
          executor: manager,
          emit: (envelope) => events.push(envelope),
          note: (entry) => entries.push(entry),
        });
        await this.timeline.append(manager, entries);
        await this.outbox.append(manager, Streams.DispatchEvents, events);
        return value;
      }),
    );
    if (events.length > 0) {
      this.relay.nudge();
      const counter = dispatchInstruments().events;
      for (const event of events) {
        counter.add(1, { type: event.type });
      }
    }
    return result;
  }

  private async attempt<T>(transaction: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await transaction();
      } catch (error) {
        if (attempt >= TRANSACTION_ATTEMPTS || !isRetryableTxError(error)) {
          throw error;
        }
        this.logger.warn({ err: error, attempt }, 'dispatch transaction retried');
        await sleep(RETRY_BASE_MS * 2 ** (attempt - 1) * (0.5 + Math.random()));
      }
    }
  }
}
