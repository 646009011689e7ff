import { Injectable } from '@nestjs/common';
import {
  GEO_RPC_SERVICE,
  GeoRpcPatterns,
  operations,
  type AccessClaims,
  type PositionsBatchRequest,
  type PositionsIngestResult,
} from '@gad/contracts';
import { ServiceRpcClient } from '../rpc/service-rpc.client';
import { UnitException } from '../units/units.exception';
import { UnitsRepository } from '../units/units.repository';

/** Roles that report positions for any unit of their agency (tracker bridges, admins). */
const FLEET_REPORTERS = new Set(['service', 'admin']);

/**
 * Position batches over REST, scoped as the `/field` socket scopes them: an officer reports only
 * the unit of its token (`unitId` claim); services and admins report any unit of the agency. A fix
 * of an id that is no active unit of the caller's agency (another agency's unit, a retired or
 * mistyped one) is rejected as `unknown_unit` and never reaches geo-service, so it cannot appear
 * on the agency's map as a unit of its own.
 */
@Injectable()
export class PositionsService {
  constructor(
    private readonly rpc: ServiceRpcClient,
    private readonly units: UnitsRepository,
  ) {}

  async report(user: AccessClaims, body: PositionsBatchRequest): Promise<PositionsIngestResult> {
    if (!user.roles.some((role) => FLEET_REPORTERS.has(role))) {
      const foreign = body.positions.find((fix) => fix.unitId !== user.unitId);
      if (foreign) {
        throw UnitException.notYourUnit(foreign.unitId);
      }
    }
    const known = await this.units.existingIds(user.agencyId, [
      ...new Set(body.positions.map((fix) => fix.unitId)),
    ]);
    /** Index in the request of each fix sent on. */
    const sent: number[] = [];
    const unknown: PositionsIngestResult['rejected'] = [];
    body.positions.forEach((fix, index) => {
      if (known.has(fix.unitId)) {
        sent.push(index);
      } else {
        unknown.push({ index, unitId: fix.unitId, reason: 'unknown_unit' });
      }
    });
    if (sent.length === 0) {
      return { accepted: 0, late: 0, duplicates: 0, rejected: unknown };
    }
    const result = await this.rpc.call(
      GEO_RPC_SERVICE,
      user,
      GeoRpcPatterns.PositionsIngest,
      {
        positions: unknown.length === 0 ? body.positions : sent.map((i) => body.positions[i]),
        agencyId: user.agencyId,
      },
      operations.reportPositions.success.schema,
    );
    if (unknown.length === 0) {
      return result;
    }
    const rejected = [
      ...result.rejected.map((entry) => ({ ...entry, index: sent[entry.index] ?? entry.index })),
      ...unknown,
    ].sort((a, b) => a.index - b.index);
    return { ...result, rejected };
  }
}
