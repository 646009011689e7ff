import type { UnitOfWorkTx } from '@gad/bus';
import {
  EventTypes,
  Streams,
  createEnvelope,
  type Actor,
  type UserChangedV1,
} from '@gad/contracts';
import { currentTraceparent } from '@gad/observability';
import type { UserRow } from './users.repository';

/**
 * Emits `user.changed` in the caller's transaction (through the outbox): the user's roles, locale
 * and status as now, or `deleted`. notification-service keeps its recipients from it.
 */
export function emitUserChanged(
  tx: UnitOfWorkTx,
  actor: Actor,
  row: Pick<UserRow, 'id' | 'agency_id' | 'roles' | 'locale' | 'status'>,
  now: Date,
  deleted = false,
): void {
  const data: UserChangedV1 = {
    userId: row.id,
    roles: row.roles,
    locale: row.locale,
    status: deleted ? 'deleted' : row.status,
    changedAt: now.toISOString(),
  };
  tx.emit(Streams.DispatchEvents, [
    createEnvelope({
      type: EventTypes.UserChanged,
      agencyId: row.agency_id,
      actor,
      traceparent: currentTraceparent(),
      data,
      occurredAt: now,
    }),
  ]);
}
