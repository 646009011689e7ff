import { OutboxWriter, type SqlExecutor, type UnitOfWorkTx } from '@gad/bus';
import {
  EventTypes,
  Streams,
  createEnvelope,
  type Actor,
  type UserChangedV1,
} from '@gad/contracts';
import { currentTraceparent } from '@gad/observability';
import { DISPATCH_SCHEMA } from '../database/data-source';
import type { UserRow } from './users.repository';

type UserChangedRow = Pick<UserRow, 'id' | 'agency_id' | 'roles' | 'locale' | 'status'>;

/** The `user.changed` envelope of a user as now (roles, locale, status), or `deleted`. */
export function userChangedEnvelope(actor: Actor, row: UserChangedRow, now: Date, deleted = false) {
  const data: UserChangedV1 = {
    userId: row.id,
    roles: row.roles,
    locale: row.locale,
    status: deleted ? 'deleted' : row.status,
    changedAt: now.toISOString(),
  };
  return createEnvelope({
    type: EventTypes.UserChanged,
    agencyId: row.agency_id,
    actor,
    traceparent: currentTraceparent(),
    data,
    occurredAt: now,
  });
}

/**
 * Emits `user.changed` in the caller's transaction (through the outbox): the user's roles, locale
 * and status as now, or `deleted`. notification-service keeps its recipients from it.
 */
export function emitUserChanged(
  tx: UnitOfWorkTx,
  actor: Actor,
  row: UserChangedRow,
  now: Date,
  deleted = false,
): void {
  tx.emit(Streams.DispatchEvents, [userChangedEnvelope(actor, row, now, deleted)]);
}

/**
 * The same as {@link emitUserChanged} for code that runs its own transaction on a plain client (the
 * first-admin bootstrap, the demo seed): appends the event to `dispatch.outbox` with `executor`, so
 * it commits with the user; the api-gateway's relay publishes it at its next poll.
 */
export async function appendUserChanged(
  executor: SqlExecutor,
  actor: Actor,
  rows: readonly UserChangedRow[],
  now: Date,
): Promise<void> {
  await new OutboxWriter(DISPATCH_SCHEMA).append(
    executor,
    Streams.DispatchEvents,
    rows.map((row) => userChangedEnvelope(actor, row, now)),
  );
}
