import { Injectable } from '@nestjs/common';
import {
  createEnvelope,
  EventTypes,
  uuidv7,
  type AccessClaims,
  type Actor,
  type ChangeUnitStatusRequest,
  type CreateUnitRequest,
  type ListUnitsQuery,
  type Unit,
  type UnitList,
  type UnitStatus,
  type UnitStatusChangedV1,
  type UnitUpdatedV1,
  type UpdateUnitRequest,
} from '@gad/contracts';
import { describeChange } from '@gad/audit';
import { currentTraceparent } from '@gad/observability';
import { DispatchTransactions, type DispatchTx } from '../timeline/dispatch-transactions.service';
import { actorOf } from '../timeline/timeline.mapper';
import { canUnitMove, WORKING_UNIT_STATUSES } from './unit-status.constants';
import { UnitException } from './units.exception';
import { toUnit } from './units.mapper';
import { isUniqueViolation, UnitsRepository, type UnitRow } from './units.repository';

/** Roles that act on any unit of their agency; officers only on the unit they crew. */
const UNIT_MANAGERS = new Set(['dispatcher', 'supervisor', 'admin']);

export function crewsUnit(user: AccessClaims, unit: Pick<UnitRow, 'id' | 'crew'>): boolean {
  return user.unitId === unit.id || unit.crew.includes(user.sub);
}

export function mayActOnUnit(user: AccessClaims, unit: Pick<UnitRow, 'id' | 'crew'>): boolean {
  return user.roles.some((role) => UNIT_MANAGERS.has(role)) || crewsUnit(user, unit);
}

export interface UnitStatusCause {
  actor: Actor;
  agencyId: string;
  incidentId?: string;
  reason?: string;
}

@Injectable()
export class UnitsService {
  constructor(
    private readonly repository: UnitsRepository,
    private readonly transactions: DispatchTransactions,
  ) {}

  /** New units start `off_duty`; `unit.updated` tells geo-service about them. */
  async create(user: AccessClaims, request: CreateUnitRequest): Promise<Unit> {
    try {
      const row = await this.transactions.run(async (tx) => {
        const inserted = await this.repository.insert(tx.client, {
          id: uuidv7(),
          agencyId: user.agencyId,
          callSign: request.callSign,
          type: request.type,
          capabilities: unique(request.capabilities),
          crew: unique(request.crew),
        });
        tx.emit(
          this.unitUpdated(user.agencyId, actorOf(user), {
            unitId: inserted.id,
            callSign: inserted.call_sign,
            status: inserted.status,
            capabilities: inserted.capabilities,
            updatedAt: new Date(inserted.updated_at).toISOString(),
          }),
        );
        return inserted;
      });
      return toUnit(row);
    } catch (error) {
      throw isUniqueViolation(error) ? UnitException.callSignTaken(request.callSign) : error;
    }
  }

  async get(user: AccessClaims, id: string): Promise<Unit> {
    return toUnit(await this.find(user.agencyId, id));
  }

  /** The unit an officer crews (the `unitId` claim of their access tokens), if any. */
  crewedUnitOf(agencyId: string, userId: string): Promise<string | undefined> {
    return this.repository.findCrewedBy(agencyId, userId);
  }

  async list(user: AccessClaims, query: ListUnitsQuery): Promise<UnitList> {
    const rows = await this.repository.list(user.agencyId, {
      statuses: query.status,
      type: query.type,
      afterId: query.cursor,
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    return {
      items: page.map(toUnit),
      ...(rows.length > query.limit ? { nextCursor: page[page.length - 1].id } : {}),
    };
  }

  async update(user: AccessClaims, id: string, request: UpdateUnitRequest): Promise<Unit> {
    try {
      const row = await this.transactions.run(async (tx) => {
        const before = await this.lockOrThrow(tx, user.agencyId, id);
        const updated = await this.repository.update(tx.client, user.agencyId, id, {
          callSign: request.callSign,
          type: request.type,
          capabilities: request.capabilities && unique(request.capabilities),
          crew: request.crew && unique(request.crew),
        });
        describeChange({ before: toUnit(before), after: toUnit(updated) }, id);
        tx.emit(
          this.unitUpdated(user.agencyId, actorOf(user), {
            unitId: updated.id,
            callSign: updated.call_sign,
            capabilities: updated.capabilities,
            updatedAt: new Date(updated.updated_at).toISOString(),
          }),
        );
        return updated;
      });
      return toUnit(row);
    } catch (error) {
      throw isUniqueViolation(error) ? UnitException.callSignTaken(request.callSign ?? '') : error;
    }
  }

  /** Retires a unit that is not working an incident; it is never recommended again. */
  async retire(user: AccessClaims, id: string): Promise<void> {
    await this.transactions.run(async (tx) => {
      const unit = await this.lockOrThrow(tx, user.agencyId, id);
      if (await this.repository.openAssignmentOf(tx.client, user.agencyId, id)) {
        throw UnitException.busy(id, unit.status);
      }
      await this.repository.retire(tx.client, user.agencyId, id);
      describeChange({ before: toUnit(unit) }, id);
      tx.emit(
        this.unitUpdated(user.agencyId, actorOf(user), {
          unitId: id,
          removed: true,
          updatedAt: new Date().toISOString(),
        }),
      );
    });
  }

  /**
   * Status change requested over REST (officers: only their own unit). `dispatched` comes only from
   * an assignment; while one is open the unit may only move between working statuses.
   */
  async changeStatus(
    user: AccessClaims,
    id: string,
    request: ChangeUnitStatusRequest,
  ): Promise<Unit> {
    const row = await this.transactions.run(async (tx) => {
      const unit = await this.lockOrThrow(tx, user.agencyId, id);
      if (!mayActOnUnit(user, unit)) {
        throw UnitException.notYourUnit(id);
      }
      if (unit.status === request.status) {
        return unit;
      }
      if (request.status === 'dispatched') {
        throw UnitException.dispatchThroughAssignment(id);
      }
      const open = await this.repository.openAssignmentOf(tx.client, user.agencyId, id);
      if (open && !WORKING_UNIT_STATUSES.includes(request.status)) {
        throw UnitException.assignmentOpen(id, open, request.status);
      }
      const moved = await this.transition(tx, unit, request.status, {
        actor: actorOf(user),
        agencyId: user.agencyId,
        reason: request.reason,
      });
      describeChange({ before: { status: unit.status }, after: { status: moved.status } }, id);
      return moved;
    });
    return toUnit(row);
  }

  /** Reads and locks a unit in the caller's transaction (undefined when absent or foreign). */
  findLocked(tx: DispatchTx, agencyId: string, id: string): Promise<UnitRow | undefined> {
    return this.repository.lock(tx.client, agencyId, id);
  }

  /** Reads and locks a unit in the caller's transaction; 404 when absent (or another agency's). */
  async lockOrThrow(tx: DispatchTx, agencyId: string, id: string): Promise<UnitRow> {
    const unit = await this.repository.lock(tx.client, agencyId, id);
    if (!unit) {
      throw UnitException.notFound(id);
    }
    return unit;
  }

  /**
   * Moves a locked unit to `to` inside the caller's transaction and queues `unit.status_changed`;
   * 409 with the allowed statuses when the machine forbids it.
   */
  async transition(
    tx: DispatchTx,
    unit: UnitRow,
    to: UnitStatus,
    cause: UnitStatusCause,
  ): Promise<UnitRow> {
    if (!canUnitMove(unit.status, to)) {
      throw UnitException.transitionInvalid(unit.status, to);
    }
    const updated = await this.repository.setStatus(tx.client, cause.agencyId, unit.id, to);
    const data: UnitStatusChangedV1 = {
      unitId: unit.id,
      callSign: updated.call_sign,
      status: to,
      previousStatus: unit.status,
      capabilities: updated.capabilities,
      ...(cause.incidentId ? { incidentId: cause.incidentId } : {}),
      changedAt: new Date(updated.status_changed_at).toISOString(),
    };
    tx.emit(
      createEnvelope({
        type: EventTypes.UnitStatusChanged,
        agencyId: cause.agencyId,
        actor: cause.actor,
        traceparent: currentTraceparent(),
        data,
      }),
    );
    return updated;
  }

  private async find(agencyId: string, id: string): Promise<UnitRow> {
    const row = await this.repository.findById(agencyId, id);
    if (!row) {
      throw UnitException.notFound(id);
    }
    return row;
  }

  private unitUpdated(agencyId: string, actor: Actor, data: UnitUpdatedV1) {
    return createEnvelope({
      type: EventTypes.UnitUpdated,
      agencyId,
      actor,
      traceparent: currentTraceparent(),
      data,
    });
  }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
